// Dual-range sliders (catalog filters, playlist settings); a file: the CSP allows no inline script.
// Two range inputs share one track: keep min <= max and show the values as they move.
document.addEventListener("input", (event) => {
  const input = event.target;
  if (!input.matches(".dual-range input")) return;
  const [low, high] = input.parentElement.querySelectorAll("input");
  if (Number(low.value) > Number(high.value)) input.value = input === low ? high.value : low.value;
  // When the thumbs meet, the one with room to move away sits on top.
  const middle = (Number(low.min) + Number(low.max)) / 2;
  low.style.zIndex = low.value === high.value && Number(low.value) > middle ? "2" : "";
  const slider = input.closest(".slider");
  const decimals = Number(slider.dataset.decimals);
  const [lowText, highText] = slider.querySelectorAll("output");
  lowText.value = Number(low.value).toFixed(decimals);
  highText.value = Number(high.value).toFixed(decimals);
});
