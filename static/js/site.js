// Site-wide behaviour (a file, not inline: the Content-Security-Policy allows no inline script).
// Event delegation on document, so it keeps working after hx-boost swaps the body.
document.documentElement.classList.add("js");

// The phone menu: the header's button folds the nav open and shut.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".nav-toggle");
  const menu = document.getElementById("site-menu");
  if (!menu) return;
  if (toggle) {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("is-open", open);
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const toggle = document.querySelector(".nav-toggle[aria-expanded=true]");
  if (!toggle) return;
  toggle.setAttribute("aria-expanded", "false");
  document.getElementById("site-menu").classList.remove("is-open");
  toggle.focus();
});

// Enter submits a prompt box (a textarea, so it can grow); Shift+Enter still makes a new line.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.isComposing) return;
  const field = event.target;
  if (!(field instanceof HTMLTextAreaElement)) return;
  const form = field.closest("form[data-enter-submits]");
  if (!form) return;
  event.preventDefault();
  form.requestSubmit();
});
