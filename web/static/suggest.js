// Plain-language tips while staff type an announcement: after a pause in typing, the text
// goes to the page's own address (with the form's CSRF token) and the tips are shown in the
// live region under the text field. Without this script the tips are on the preview page.
(function () {
  "use strict";
  var text = document.getElementById("text");
  var region = document.getElementById("tips");
  if (!text || !region || !window.fetch) {
    return;
  }
  var form = text.form;
  var timer = null;
  var asked = "";

  function show(tips) {
    region.textContent = "";
    if (!tips.length) {
      return;
    }
    var heading = document.createElement("p");
    heading.className = "tips-heading";
    heading.textContent = region.getAttribute("data-heading");
    var list = document.createElement("ul");
    tips.forEach(function (tip) {
      var item = document.createElement("li");
      item.textContent = "„" + tip.excerpt + "“: " + tip.suggestion;
      list.appendChild(item);
    });
    region.appendChild(heading);
    region.appendChild(list);
  }

  function ask() {
    var typed = text.value;
    if (typed === asked) {
      return;
    }
    asked = typed;
    var body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    body.set("community", form.elements.community.value);
    body.set("text", typed);
    fetch(region.getAttribute("data-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : { tips: [] };
      })
      .then(function (answer) {
        if (typed === text.value) {
          show(answer.tips || []);
        }
      })
      .catch(function () {});
  }

  text.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 700);
  });
  if (text.value) {
    ask();
  }
})();
