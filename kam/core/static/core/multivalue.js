// Multi-value inputs (a contact's e-mails and phones): "Add another" appends an empty input.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kam-add-value]");
    if (!button) { return; }
    var group = button.closest("[data-kam-multivalue]");
    var inputs = group.querySelectorAll("input");
    var last = inputs[inputs.length - 1];
    var copy = last.cloneNode(false);
    copy.removeAttribute("id");
    copy.value = "";
    copy.setAttribute("aria-label", group.getAttribute("data-kam-label") + " " + (inputs.length + 1));
    group.insertBefore(copy, button);
    copy.focus();
  });
})();
