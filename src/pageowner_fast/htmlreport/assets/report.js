/* The report's script (pageowner_fast/htmlreport): icicle flame graphs of held memory (and of
   growth against a baseline) and the timeline chart, drawn as SVG from the JSON in #pf-data.
   Strings from the dump reach the page only through textContent and SVG text nodes, never
   as markup. When the first drawing is done, window.pfReport.drawnMs holds the time since
   navigation start (performance.now()). */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("pf-data").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var ROW = 18, MIN_WIDTH = 0.4;
  var tip = document.getElementById("pf-tip");

  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    return e;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function num(n) { return Math.round(n).toLocaleString("en-US"); }
  function signed(n) { return (n > 0 ? "+" : "") + num(n); }
  function bytes(n) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"], a = Math.abs(n), i = 0;
    while (a >= 1024 && i < units.length - 1) { a /= 1024; i++; }
    return (n < 0 ? "-" : "") + (i === 0 ? String(a) : a.toPrecision(3)) + " " + units[i];
  }
  function pct(x) { return (100 * x).toFixed(x >= 0.0001 || x === 0 ? 2 : 4) + "%"; }
  function symbol(frame) {
    return frame.replace(/^\s*\[<[0-9a-fA-F]+>\]\s+/, "").replace(/\+0x[0-9a-fA-F]+\/0x[0-9a-fA-F]+/, "");
  }
  function hash(s) {
    var h = 2166136261;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return h >>> 0;
  }

  function showTip(ev, text) {
    tip.textContent = text;
    tip.hidden = false;
    var x = ev.clientX + 14, y = ev.clientY + 14, r = tip.getBoundingClientRect();
    if (x + r.width > window.innerWidth - 4) { x = Math.max(4, ev.clientX - r.width - 14); }
    if (y + r.height > window.innerHeight - 4) { y = Math.max(4, ev.clientY - r.height - 14); }
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function hideTip() { tip.hidden = true; }

  /* --- the tree: one node per frame of each path from the root ----------------------- */
  function Node(name, type, parent) {
    this.name = name; this.type = type; this.parent = parent;
    this.depth = parent ? parent.depth + 1 : 0;
    this.v = 0; this.o = 0; this.b = 0; this.nob = false; this.hit = false;
    this.map = new Map(); this.kids = [];
  }
  Node.prototype.child = function (name, type) {
    var key = type + "\u0000" + name, c = this.map.get(key);
    if (!c) { c = new Node(name, type, this); this.map.set(key, c); this.kids.push(c); }
    return c;
  };
  Node.prototype.add = function (r) {
    this.v += r.v; this.o += r.o || 0;
    if (r.b === null || r.b === undefined) { this.nob = true; } else { this.b += r.b; }
  };

  function buildTree(rows) {
    var root = new Node("all", "root", null);
    rows.forEach(function (r) {
      var n = root, st = D.stacks[r.s];
      n.add(r);
      if (r.g !== undefined) { n = n.child(r.g, "group"); n.add(r); }
      if (!st.length) { n = n.child("(no frames)", "frame"); n.add(r); }
      for (var i = st.length - 1; i >= 0; i--) { n = n.child(D.frames[st[i]], "frame"); n.add(r); }
    });
    (function sort(n) {
      n.map = null;
      n.kids.sort(function (a, b) { return b.v - a.v || b.o - a.o || (a.name < b.name ? -1 : 1); });
      n.kids.forEach(sort);
    })(root);
    return root;
  }

  /* --- a flame graph (icicle: the outermost frame at the top) ------------------------- */
  function Flame(box, diff) {
    this.box = box; this.diff = diff; this.root = null; this.zoom = null; this.query = "";
    this.drawn = []; this.maxDelta = 1;
    this.svg = svgEl("svg", { role: "img", "aria-label": diff ? "differential flame graph" : "flame graph" });
    box.appendChild(this.svg);
    var self = this;
    this.svg.addEventListener("mousemove", function (ev) {
      var n = self.nodeAt(ev.target);
      if (n) { showTip(ev, self.describe(n)); } else { hideTip(); }
    });
    this.svg.addEventListener("mouseleave", hideTip);
    this.svg.addEventListener("click", function (ev) {
      var n = self.nodeAt(ev.target);
      if (n) { self.zoom = n; self.draw(); }
    });
  }
  Flame.prototype.nodeAt = function (target) {
    var g = target.closest ? target.closest("g[data-i]") : null;
    return g ? this.drawn[+g.getAttribute("data-i")] : null;
  };
  Flame.prototype.setRows = function (rows) {
    this.root = buildTree(rows);
    this.zoom = this.root;
    var m = 1;
    (function walk(n) {
      if (n.parent) { m = Math.max(m, Math.abs(n.v - n.o)); }
      n.kids.forEach(walk);
    })(this.root);
    this.maxDelta = m;
    this.search(this.query);
  };
  Flame.prototype.color = function (n) {
    if (n.type === "root") { return "#c9ced8"; }
    if (this.diff) {
      var d = n.v - n.o;
      if (d === 0) { return "#e6e6e6"; }
      var t = Math.sqrt(Math.abs(d) / this.maxDelta);
      return "hsl(" + (d > 0 ? 5 : 215) + ",75%," + (93 - 45 * t).toFixed(1) + "%)";
    }
    if (n.type === "group") { return "hsl(210,55%," + (70 + hash(n.name) % 12) + "%)"; }
    var h = hash(symbol(n.name));
    return "hsl(" + (h % 50) + "," + (65 + (h >>> 8) % 25) + "%," + (55 + (h >>> 16) % 15) + "%)";
  };
  Flame.prototype.describe = function (n) {
    var total = this.root.v, lines = [n.type === "root" ? "all stacks" : n.name];
    if (this.diff) {
      lines.push("now: " + num(n.v) + " pages (" + bytes(n.v * D.page_size) + ", " + pct(total ? n.v / total : 0) + " of all)");
      lines.push("baseline: " + num(n.o) + " pages (" + bytes(n.o * D.page_size) + ")");
      lines.push("change: " + signed(n.v - n.o) + " pages (" + (n.v >= n.o ? "+" : "") + bytes((n.v - n.o) * D.page_size) + ")");
    } else {
      lines.push("pages: " + num(n.v) + " (" + pct(total ? n.v / total : 0) + " of all)");
      lines.push("bytes: " + bytes(n.v * D.page_size));
      if (!n.nob) { lines.push("blocks: " + num(n.b)); }
    }
    if (n.parent && n.parent.v) { lines.push(pct(n.v / n.parent.v) + " of its caller"); }
    return lines.join("\n");
  };
  Flame.prototype.addBox = function (frag, n, x, w, cls) {
    var i = this.drawn.length;
    this.drawn.push(n);
    var g = svgEl("g", { "data-i": i, "class": cls + (n.hit ? " hit" : "") });
    g.appendChild(svgEl("rect", { x: x.toFixed(2), y: n.depth * ROW, width: Math.max(w, 0.5).toFixed(2),
                                  height: ROW - 1, fill: this.color(n) }));
    if (w > 24) {
      var label = n.type === "root" ? "all: " + num(n.v) + " pages" : (n.type === "group" ? n.name : symbol(n.name));
      var fit = Math.floor((w - 6) / 6.6);
      if (label.length > fit) { label = fit > 2 ? label.slice(0, fit - 1) + "\u2026" : ""; }
      if (label) {
        var t = svgEl("text", { x: (x + 3).toFixed(2), y: n.depth * ROW + 12.5 });
        t.textContent = label;
        g.appendChild(t);
      }
    }
    frag.appendChild(g);
  };
  Flame.prototype.draw = function () {
    var W = Math.max(320, this.box.clientWidth), z = this.zoom, frag = document.createDocumentFragment();
    this.drawn = [];
    if (!this.root || this.root.v === 0) {
      this.svg.replaceChildren();
      this.svg.setAttribute("height", 0);
      if (!this.box.querySelector(".empty")) { this.box.appendChild(el("p", "empty", "No pages to draw.")); }
      return;
    }
    var anc = [];
    for (var a = z.parent; a; a = a.parent) { anc.unshift(a); }
    for (var j = 0; j < anc.length; j++) { this.addBox(frag, anc[j], 0, W, "anc"); }
    var scale = z.v > 0 ? W / z.v : 0, maxDepth = z.depth, todo = [[z, 0]];
    while (todo.length) {
      var e = todo.pop(), n = e[0], x = e[1], w = n.v * scale;
      if (w < MIN_WIDTH) { continue; }
      this.addBox(frag, n, x, w, "");
      if (n.depth > maxDepth) { maxDepth = n.depth; }
      var cx = x;
      for (var k = 0; k < n.kids.length; k++) { todo.push([n.kids[k], cx]); cx += n.kids[k].v * scale; }
    }
    var H = (maxDepth + 1) * ROW;
    this.svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    this.svg.setAttribute("height", H);
    this.svg.replaceChildren(frag);
  };
  Flame.prototype.search = function (query) {
    this.query = query;
    var q = query.trim().toLowerCase(), total = 0, names = new Set();
    (function walk(n, under) {
      n.hit = q !== "" && n.type !== "root" && n.name.toLowerCase().indexOf(q) >= 0;
      if (n.hit) { names.add(n.name); if (!under) { total += n.v; } }
      for (var i = 0; i < n.kids.length; i++) { walk(n.kids[i], under || n.hit); }
    })(this.root, false);
    this.matchText = q === "" ? "" : (names.size ? names.size + " frame" + (names.size > 1 ? "s" : "") +
      " match: " + num(total) + " pages, " + bytes(total * D.page_size) + ", " +
      pct(this.root.v ? total / this.root.v : 0) + " of all" : "no frame matches");
    this.draw();
  };

  /* --- the timeline chart ---------------------------------------------------------- */
  var PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                 "#17becf", "#bcbd22", "#7f7f7f"];
  function niceMax(v) {
    if (v <= 0) { return 1; }
    var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function drawTimeline(box) {
    var T = D.timeline, W = Math.max(360, box.clientWidth), H = 300, L = 78, R = 24, TOP = 14, B = 40;
    var n = T.labels.length, ymax = 1;
    T.series.forEach(function (s) { s[1].forEach(function (v) { ymax = Math.max(ymax, v); }); });
    ymax = niceMax(ymax);
    var svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, height: H, role: "img", "aria-label": "timeline" });
    function X(i) { return n > 1 ? L + i * (W - L - R) / (n - 1) : (L + W - R) / 2; }
    function Y(v) { return TOP + (H - TOP - B) * (1 - v / ymax); }
    for (var k = 0; k <= 5; k++) {
      var v = ymax * k / 5, y = Y(v);
      svg.appendChild(svgEl("line", { "class": "grid", x1: L, x2: W - R, y1: y, y2: y }));
      var t = svgEl("text", { x: L - 6, y: y + 4, "text-anchor": "end" });
      t.textContent = num(v);
      svg.appendChild(t);
    }
    T.labels.forEach(function (lab, i) {
      var t = svgEl("text", { x: X(i), y: H - B + 16, "text-anchor": "middle" });
      t.textContent = String(i + 1);
      svg.appendChild(t);
    });
    svg.appendChild(svgEl("line", { "class": "axis", x1: L, x2: L, y1: TOP, y2: H - B }));
    svg.appendChild(svgEl("line", { "class": "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
    var yl = svgEl("text", { x: 12, y: TOP + (H - TOP - B) / 2, transform: "rotate(-90 12 " + (TOP + (H - TOP - B) / 2) + ")", "text-anchor": "middle" });
    yl.textContent = "pages";
    svg.appendChild(yl);
    var legend = el("ul", "chart-legend");
    T.series.forEach(function (s, i) {
      var color = PALETTE[i % PALETTE.length], label = D.labels[s[0]];
      var pts = s[1].map(function (v, j) { return X(j).toFixed(1) + "," + Y(v).toFixed(1); }).join(" ");
      var line = svgEl("polyline", { points: pts, stroke: color });
      var text = label + "\n" + s[1].map(num).join(" \u2192 ") + " pages (slope " + s[2].toFixed(1) +
        "/snapshot)\n\n" + D.stacks[s[0]].map(function (f) { return D.frames[f]; }).join("\n");
      line.addEventListener("mousemove", function (ev) { showTip(ev, text); });
      line.addEventListener("mouseleave", hideTip);
      svg.appendChild(line);
      s[1].forEach(function (v, j) { svg.appendChild(svgEl("circle", { cx: X(j), cy: Y(v), r: 3, fill: color })); });
      var li = el("li"), sw = el("span", "swatch");
      sw.style.background = color;
      li.appendChild(sw);
      li.appendChild(document.createTextNode(label + " (" + signed(s[1][s[1].length - 1] - s[1][0]) + " pages)"));
      legend.appendChild(li);
    });
    box.replaceChildren(svg, legend);
  }

  /* --- wiring ------------------------------------------------------------------------ */
  function heldRows(key) {
    if (!key) { return D.flame.map(function (r) { return { s: r[0], v: r[1], b: r[2] }; }); }
    var R = D.roots[key];
    return R.rows.map(function (r) { return { g: key + ": " + R.values[r[0]], s: r[1], v: r[2], b: r[3] }; });
  }
  var flames = {};
  function setMatch(id) {
    var m = document.querySelector(".match[data-flame='" + id + "']");
    if (m) { m.textContent = flames[id].matchText; }
  }
  function init() {
    var held = document.getElementById("pf-flame");
    flames["pf-flame"] = new Flame(held, false);
    flames["pf-flame"].setRows(heldRows(""));
    var diffBox = document.getElementById("pf-diff");
    if (diffBox && D.diff) {
      flames["pf-diff"] = new Flame(diffBox, true);
      flames["pf-diff"].setRows(D.diff.rows.map(function (r) { return { s: r[0], o: r[1], v: r[2], b: null }; }));
    }
    var select = document.getElementById("pf-root");
    D.root_keys.forEach(function (k) { var o = el("option", "", k); o.value = k; select.appendChild(o); });
    select.disabled = D.root_keys.length === 0;
    select.addEventListener("change", function () { flames["pf-flame"].setRows(heldRows(select.value)); setMatch("pf-flame"); });
    document.querySelectorAll("input.search").forEach(function (inp) {
      var id = inp.getAttribute("data-flame");
      inp.addEventListener("input", function () { flames[id].search(inp.value); setMatch(id); });
    });
    document.querySelectorAll("button.reset").forEach(function (b) {
      var id = b.getAttribute("data-flame");
      b.addEventListener("click", function () { flames[id].zoom = flames[id].root; flames[id].draw(); });
    });
    document.querySelectorAll("input.filter").forEach(function (inp) {
      var rows = document.getElementById(inp.getAttribute("data-table")).tBodies[0].rows;
      inp.addEventListener("input", function () {
        var q = inp.value.trim().toLowerCase();
        for (var i = 0; i < rows.length; i++) {
          rows[i].classList.toggle("hidden", q !== "" && rows[i].textContent.toLowerCase().indexOf(q) < 0);
        }
      });
    });
    var tl = document.getElementById("pf-timeline");
    if (tl && D.timeline) { drawTimeline(tl); }
    var pending = 0;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        Object.keys(flames).forEach(function (id) { flames[id].draw(); });
        if (tl && D.timeline) { drawTimeline(tl); }
      }, 150);
    });
    window.pfReport = { drawnMs: performance.now(), flames: flames };
    document.documentElement.setAttribute("data-drawn", "1");
  }
  init();
})();
