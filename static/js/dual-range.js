// Dual-range sliders (catalog filters, playlist settings); a file: the CSP allows no inline script.
// Two range inputs share one track: keep min <= max and show the values as they move — in words
// when the slider names its levels (data-levels="very calm|calm|…"), else as numbers.
function sliderText(slider, input) {
  const value = Number(input.value);
  if (slider.dataset.levels) {
    const levels = slider.dataset.levels.split("|");
    const low = Number(input.min);
    const high = Number(input.max);
    const share = high > low ? (value - low) / (high - low) : 0;
    return levels[Math.min(levels.length - 1, Math.max(0, Math.floor(share * levels.length)))];
  }
  return value.toFixed(Number(slider.dataset.decimals)) + (slider.dataset.unit || "");
}

document.addEventListener("input", (event) => {
  const input = event.target;
  if (!input.matches(".dual-range input")) return;
  const [low, high] = input.parentElement.querySelectorAll("input");
  if (Number(low.value) > Number(high.value)) input.value = input === low ? high.value : low.value;
  // When the thumbs meet, the one with room to move away sits on top.
  const middle = (Number(low.min) + Number(low.max)) / 2;
  low.style.zIndex = low.value === high.value && Number(low.value) > middle ? "2" : "";
  const slider = input.closest(".slider");
  const [lowText, highText] = slider.querySelectorAll("output");
  lowText.value = sliderText(slider, low);
  highText.value = sliderText(slider, high);
  low.setAttribute("aria-valuetext", lowText.value);
  high.setAttribute("aria-valuetext", highText.value);
});
