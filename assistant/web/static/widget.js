/* The Istanbul talks assistant widget.
 *   <script src="https://assistant.example/widget.js" data-site="intranet-hr" async></script>
 * Optional data-*: title, greeting, color (#rgb or #rrggbb), position (bottom-right | bottom-left),
 * token (a signed token minted by your server) or token-url (an endpoint of yours returning one).
 * Everything here is served by the assistant itself: no CDN, no third-party request. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var base = script.src.replace(/\/widget\.js(?:[?#].*)?$/, "");
  var d = script.dataset;
  var site = d.site || "";
  var title = d.title || "Ask about the documents";
  var greeting = d.greeting || "Hello! Ask me about the documents; every answer cites its source.";
  var color = /^#(?:[0-9a-fA-F]{3}){1,2}$/.test(d.color || "") ? d.color : "#2563eb";
  var side = d.position === "bottom-left" ? "left" : "right";

  var host = document.createElement("div");
  host.setAttribute("data-istanbul-assistant", site);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = document.createElement("style");
  style.textContent =
    ".bubble{position:fixed;bottom:20px;" + side + ":20px;width:56px;height:56px;border-radius:50%;" +
    "border:none;background:" + color + ";color:#fff;font:600 24px/1 system-ui,sans-serif;cursor:pointer;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}" +
    ".bubble:focus-visible{outline:3px solid #111;outline-offset:2px}" +
    ".panel{position:fixed;bottom:88px;" + side + ":20px;width:400px;max-width:calc(100vw - 40px);" +
    "height:600px;max-height:calc(100vh - 110px);border:1px solid #d1d5db;border-radius:12px;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.25);background:#fff;z-index:2147483000;display:none}" +
    ".panel.open{display:block}";
  var bubble = document.createElement("button");
  bubble.type = "button";
  bubble.className = "bubble";
  bubble.setAttribute("aria-label", title);
  bubble.setAttribute("aria-expanded", "false");
  bubble.textContent = "?";
  var frame = null;

  function panelUrl(token) {
    var q = new URLSearchParams({ site: site, title: title, greeting: greeting, color: color });
    if (token) q.set("token", token);
    return base + "/widget/panel?" + q.toString();
  }

  function toggle() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.className = "panel";
      frame.title = title;
      frame.setAttribute("referrerpolicy", "origin");
      root.appendChild(frame);
      if (d.tokenUrl) {
        fetch(d.tokenUrl, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (t) { frame.src = panelUrl(t.trim()); })
          .catch(function () { frame.src = panelUrl(""); });
      } else {
        frame.src = panelUrl(d.token || "");
      }
    }
    var open = frame.classList.toggle("open");
    bubble.setAttribute("aria-expanded", String(open));
    bubble.textContent = open ? "\u00d7" : "?";
  }

  bubble.addEventListener("click", toggle);
  root.appendChild(style);
  root.appendChild(bubble);
  (document.body || document.documentElement).appendChild(host);
})();
