// Flow preview: typing a key on the keyboard presses the matching key button.
document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement || event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  const button = document.querySelector(`#moves button[data-key="${CSS.escape(event.key)}"]`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});
