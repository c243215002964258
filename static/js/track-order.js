// Drag a track row onto another to move it there (a file: the CSP allows no inline script).
// The keyboard way is each row's Change → Move up / Move down; this is the pointer way. The move
// is an ordinary form post (edit=move), so it makes a new version like every other edit.
(() => {
  let dragged = null;

  function list(element) {
    return element && element.closest("ol[data-reorder-url]");
  }

  document.addEventListener("dragstart", (event) => {
    const row = event.target.closest && event.target.closest("li.playlist-item[draggable=true]");
    if (!row || !list(row)) return;
    dragged = row;
    row.classList.add("is-dragged");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.dataset.position);
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("is-dragged");
    document.querySelectorAll(".playlist-item.is-drop-target").forEach((row) => row.classList.remove("is-drop-target"));
    dragged = null;
  });

  document.addEventListener("dragover", (event) => {
    const row = event.target.closest && event.target.closest("li.playlist-item");
    if (!dragged || !row || row === dragged || list(row) !== list(dragged)) return;
    event.preventDefault();
    document.querySelectorAll(".playlist-item.is-drop-target").forEach((other) => other.classList.remove("is-drop-target"));
    row.classList.add("is-drop-target");
  });

  document.addEventListener("drop", (event) => {
    const row = event.target.closest && event.target.closest("li.playlist-item");
    if (!dragged || !row || row === dragged || list(row) !== list(dragged)) return;
    event.preventDefault();
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    const form = document.createElement("form");
    form.method = "post";
    form.action = list(row).dataset.reorderUrl;
    const fields = {
      csrfmiddlewaretoken: headers["X-CSRFToken"] || "",
      edit: "move",
      position: dragged.dataset.position,
      to: row.dataset.position,
    };
    for (const [name, value] of Object.entries(fields)) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    document.body.appendChild(form);
    form.submit();
  });
})();
