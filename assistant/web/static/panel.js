/* The widget's chat panel. All text is inserted with textContent: nothing from a user, a
 * model or a document is ever parsed as HTML. */
(function () {
  "use strict";
  var cfg = document.body.dataset;
  var log = document.getElementById("log");
  var form = document.getElementById("ask");
  var input = document.getElementById("question");
  var button = form.querySelector("button");
  var history = [];
  var turn = 0;
  document.documentElement.style.setProperty("--accent", cfg.color || "#2563eb");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function add(node) {
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  function headers() {
    var h = { "Content-Type": "application/json" };
    if (cfg.token) h.Authorization = "Bearer " + cfg.token;
    return h;
  }

  function showError(box, message) {
    box.className = "msg bot error";
    box.textContent = "";
    box.appendChild(el("div", "badge error", "Error"));
    box.appendChild(el("div", "", message));
  }

  function passage(c, target) {
    fetch("../api/chunks/" + encodeURIComponent(c.chunk_id))
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (chunk) {
        var quote = el("blockquote");
        if (chunk && chunk.start <= c.start && c.end <= chunk.end) {
          quote.appendChild(document.createTextNode(chunk.text.slice(0, c.start - chunk.start)));
          quote.appendChild(el("mark", "", c.quote));
          quote.appendChild(document.createTextNode(chunk.text.slice(c.end - chunk.start)));
        } else {
          quote.appendChild(el("mark", "", c.quote));
        }
        target.appendChild(quote);
      });
  }

  function render(box, answer) {
    var kind = answer.refused ? "refusal" : answer.conflict ? "conflict" : "answer";
    box.className = "msg bot " + kind;
    box.dataset.kind = kind;
    box.textContent = "";
    if (kind === "refusal") box.appendChild(el("div", "badge refusal", "Not in the documents"));
    if (kind === "conflict") box.appendChild(el("div", "badge conflict", "The sources disagree"));
    var text = el("div", "text");
    var id = "t" + turn++;
    // Each unconfirmed sentence is marked where it stands, its status written out as text.
    var pieces = [], pos = 0, full = answer.answer;
    (answer.sentences || []).forEach(function (s) {
      if (s.status !== "unconfirmed") return;
      var at = full.indexOf(s.text, pos);
      if (at < 0) return;
      pieces.push([full.slice(pos, at), false], [s.text, true]);
      pos = at + s.text.length;
    });
    pieces.push([full.slice(pos), false]);
    pieces.forEach(function (piece) {
      var target = text;
      if (piece[1]) {
        target = el("span", "unconfirmed");
        text.appendChild(target);
      }
      linkMarkers(piece[0], target);
      if (piece[1]) target.appendChild(el("span", "status", " (not confirmed by the cited passage)"));
    });
    function linkMarkers(chunk, into) {
      chunk.split(/(\[\d+\])/).forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      if (m) {
        var link = el("a", "cite", part);
        link.href = "#" + id + "-" + m[1];
        link.addEventListener("click", function (e) {
          e.preventDefault();
          var target = document.getElementById(id + "-" + m[1]);
          if (!target) return;
          box.querySelectorAll(".source.active").forEach(function (s) { s.classList.remove("active"); });
          target.classList.add("active");
          target.scrollIntoView({ block: "nearest" });
        });
        into.appendChild(link);
      } else {
        into.appendChild(document.createTextNode(part));
      }
    });
    }
    box.appendChild(text);
    (answer.notices || []).forEach(function (n) { box.appendChild(el("div", "notice", n)); });
    if (answer.citations.length) {
      var list = el("div", "sources");
      answer.citations.forEach(function (c) {
        var item = el("div", "source");
        item.id = id + "-" + c.n;
        item.appendChild(el("span", "title", "[" + c.n + "] " + (c.title || c.doc_id)));
        var meta = [c.outlet, c.date].filter(Boolean).join(" · ");
        if (meta) item.appendChild(el("span", "meta", " " + meta));
        passage(c, item);
        list.appendChild(item);
      });
      box.appendChild(list);
    }
  }

  function ask(question) {
    add(el("div", "msg user", question));
    var box = add(el("div", "msg bot streaming", ""));
    button.disabled = true;
    var body = JSON.stringify({ question: question, history: history, site: cfg.site });
    return fetch("../api/ask/stream", { method: "POST", headers: headers(), body: body })
      .then(function (res) {
        if (!res.ok) {
          return res.json().catch(function () { return {}; }).then(function (e) {
            showError(box, e.error || "The assistant answered " + res.status + ".");
          });
        }
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (step) {
            if (step.done) {
              if (box.classList.contains("streaming")) {
                showError(box, "The answer was cut off before it finished. Try again in a moment.");
              }
              return;
            }
            buffer += decoder.decode(step.value, { stream: true });
            var parts = buffer.split("\n\n");
            buffer = parts.pop();
            parts.forEach(function (block) {
              var ev = /^event: (\w+)/m.exec(block);
              var data = /^data: (.*)$/m.exec(block);
              if (!ev || !data) return;
              var payload = JSON.parse(data[1]);
              if (ev[1] === "token") box.textContent += payload.text;
              else if (ev[1] === "answer") {
                render(box, payload);
                history.push({ role: "user", content: question }, { role: "assistant", content: payload.answer });
              } else if (ev[1] === "error") showError(box, payload.error);
            });
            log.scrollTop = log.scrollHeight;
            return pump();
          });
        }
        return pump();
      })
      .catch(function () { showError(box, "The assistant could not be reached. Try again in a moment."); })
      .finally(function () { button.disabled = false; input.focus(); });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    if (!q) return;
    input.value = "";
    ask(q);
  });
  add(el("div", "msg bot greeting", cfg.greeting || "Ask a question about the documents."));
  input.disabled = false;  // the page ships the form disabled until this script handles it
  button.disabled = false;
})();
