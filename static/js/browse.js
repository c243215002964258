// The catalog page's filters (a file, not inline: the Content-Security-Policy allows no inline script).
// Keep shared URLs short: a slider at its edge and an empty year are no filter at all.
document.addEventListener("htmx:configRequest", (event) => {
  const parameters = event.detail.parameters;
  document.querySelectorAll("#filters .dual-range input").forEach((input) => {
    const edge = input.name.startsWith("min_") ? input.min : input.max;
    if (Number(parameters.get(input.name)) === Number(edge)) parameters.delete(input.name);
  });
  for (const name of ["year_from", "year_to"]) {
    if (!parameters.get(name)) parameters.delete(name);
  }
});
