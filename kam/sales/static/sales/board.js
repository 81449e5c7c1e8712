// The board: drag a card to another column to move the deal. The server applies the same
// rules as the API; a refused move puts the card back where it was and shows the reason.
(function () {
  "use strict";
  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function show(alertBox, ok, text) {
    alertBox.textContent = text;
    alertBox.classList.remove("d-none", "alert-success", "alert-danger");
    alertBox.classList.add(ok ? "alert-success" : "alert-danger");
  }
  function snapBack(event) {
    var item = event.item;
    var ref = event.from.children[event.oldIndex] || null;
    event.from.insertBefore(item, ref);
  }
  function init() {
    var board = document.getElementById("board");
    if (!board || !window.Sortable) { return; }
    var alertBox = document.getElementById("board-alert");
    var moveUrl = board.dataset.moveUrl;
    board.querySelectorAll(".kam-board-cards").forEach(function (list) {
      window.Sortable.create(list, {
        group: "deals",
        draggable: ".kam-deal-card",
        animation: 120,
        forceFallback: true, // mouse and touch events: the same behaviour on phones and desktops
        onEnd: function (event) {
          if (event.from === event.to) { return; }
          var target = event.to;
          var body = new URLSearchParams({ stage: target.dataset.stage });
          if (target.dataset.outcome === "lost") {
            var reason = window.prompt(board.dataset.lostPrompt || "Why was the deal lost?");
            if (!reason) { snapBack(event); return; }
            body.set("lost_reason", reason);
          }
          var url = moveUrl.replace("/0/", "/" + event.item.dataset.deal + "/");
          fetch(url, {
            method: "POST",
            headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
            body: body,
            credentials: "same-origin"
          }).then(function (response) {
            return response.json().then(function (data) { return { ok: response.ok && data.ok, data: data }; });
          }).then(function (answer) {
            show(alertBox, answer.ok, answer.data.reason);
            if (!answer.ok) { snapBack(event); return; }
            if (target.dataset.outcome) { event.item.classList.add("opacity-50"); }
          }).catch(function () {
            snapBack(event);
            show(alertBox, false, board.dataset.networkError);
          });
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
