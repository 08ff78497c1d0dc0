// Canvas renderer of the workbench map widget (anywidget ESM, no network, no dependencies).
// Model: nodes [{id,label,x,y,r,color,...}] with x,y in [0,1]; edges [[i,j,weight]];
// selected (id), highlight [ids], height (px). Click selects, double-click asks Python to open
// the node ({event:"open", id}), drag pans, the wheel zooms. The layout fills the canvas (each
// axis on its own); labels are placed most important first (selected, marked, then by
// importance or size), each beside its node where it overlaps no other label or node, and
// left out where it would.

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "wb-map";
  const canvas = document.createElement("canvas");
  canvas.className = "wb-map-canvas";
  const tip = document.createElement("div");
  tip.className = "wb-map-tip";
  root.append(canvas, tip);
  el.append(root);

  let nodes = [], edges = [], byId = new Map();
  let view = { scale: 1, tx: 0, ty: 0 };
  let hover = -1, drag = null, width = 0, height = 0, placed = [];
  const ctx = canvas.getContext("2d");

  function size() {
    const dpr = window.devicePixelRatio || 1;
    width = root.clientWidth || 600;
    height = model.get("height") || 520;
    root.style.height = height + "px";
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  function fit() {
    view = { scale: 1, tx: 0, ty: 0 };
  }

  function load() {
    nodes = model.get("nodes") || [];
    edges = model.get("edges") || [];
    byId = new Map(nodes.map((n, i) => [n.id, i]));
    hover = -1;
    tip.style.display = "none";  // a tooltip of the previous level never stays behind
    canvas.style.cursor = "default";
    fit();
    draw();
  }

  function margins() {
    const rmax = nodes.reduce((m, n) => Math.max(m, n.r || 0), 4);
    return [Math.min(width / 4, rmax + 10), Math.min(height / 4, rmax + 8)];
  }

  function screen(n) {
    const [mx, my] = margins();
    const x = mx + n.x * (width - 2 * mx), y = my + n.y * (height - 2 * my);
    return [x * view.scale + view.tx, y * view.scale + view.ty];
  }

  function radius(n) {
    return Math.max(2, n.r * Math.sqrt(view.scale));
  }

  function draw() {
    if (!width) size();
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    const selected = byId.has(model.get("selected")) ? byId.get(model.get("selected")) : -1;
    const marked = new Set((model.get("highlight") || []).filter((id) => byId.has(id)).map((id) => byId.get(id)));
    const dim = marked.size > 0;
    const pts = nodes.map(screen);
    const maxW = edges.reduce((m, e) => Math.max(m, e[2] || 1), 1);
    for (const [a, b, w] of edges) {
      const p = pts[a], q = pts[b];
      if (!p || !q) continue;
      const on = a === selected || b === selected || (marked.has(a) && marked.has(b));
      ctx.strokeStyle = on ? "rgba(200,60,40,0.85)" : dim ? "rgba(120,120,120,0.12)" : "rgba(100,110,130,0.35)";
      ctx.lineWidth = 0.6 + 2.4 * Math.sqrt((w || 1) / maxW);
      ctx.beginPath(); ctx.moveTo(p[0], p[1]); ctx.lineTo(q[0], q[1]); ctx.stroke();
      if (edges.length < 3000) {  // arrow head at the imported end
        const dx = q[0] - p[0], dy = q[1] - p[1], len = Math.hypot(dx, dy) || 1;
        const rr = radius(nodes[b]) + 2, ux = dx / len, uy = dy / len;
        const tx = q[0] - ux * rr, ty = q[1] - uy * rr;
        ctx.fillStyle = ctx.strokeStyle;
        ctx.beginPath(); ctx.moveTo(tx, ty);
        ctx.lineTo(tx - ux * 7 - uy * 3.5, ty - uy * 7 + ux * 3.5);
        ctx.lineTo(tx - ux * 7 + uy * 3.5, ty - uy * 7 - ux * 3.5);
        ctx.closePath(); ctx.fill();
      }
    }
    nodes.forEach((n, i) => {
      const [x, y] = pts[i];
      const r = radius(n);
      ctx.globalAlpha = dim && !marked.has(i) && i !== selected ? 0.25 : 1;
      ctx.fillStyle = n.color || "#4c72b0";
      ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fill();
      ctx.lineWidth = i === selected ? 3 : marked.has(i) ? 2.5 : 1;
      ctx.strokeStyle = i === selected ? "#111" : marked.has(i) ? "#c83c28" : "rgba(255,255,255,0.9)";
      ctx.stroke();
      ctx.globalAlpha = 1;
    });
    const weight = (n) => (n.importance !== undefined ? n.importance : n.r);
    const byWeight = nodes.map((_, i) => i).sort((i, j) => weight(nodes[j]) - weight(nodes[i]) || nodes[j].r - nodes[i].r);
    const first = [selected, hover, ...marked].filter((i) => i >= 0);
    const queue = [...new Set([...first, ...byWeight])];
    ctx.font = "12px sans-serif";
    ctx.textBaseline = "middle";
    const boxes = pts.map((p, i) => { const r = radius(nodes[i]); return [p[0] - r, p[1] - r, p[0] + r, p[1] + r]; });
    const clash = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
    placed = [];
    for (const i of queue) {
      const n = nodes[i]; if (!n) continue;
      const [x, y] = pts[i];
      const text = n.label || n.id;
      const r = radius(n), w = ctx.measureText(text).width + 2, h = 14;
      const spots = [[x + r + 3, y - h / 2], [x - r - 3 - w, y - h / 2],
                     [x - w / 2, y - r - 2 - h], [x - w / 2, y + r + 2]];
      for (const [lx, ly] of spots) {
        const box = [lx, ly, lx + w, ly + h];
        if (lx < 1 || ly < 1 || lx + w > width - 1 || ly + h > height - 1) continue;
        if (placed.some((p) => clash(box, p.box))) continue;
        if (boxes.some((b, j) => j !== i && clash(box, b))) continue;
        placed.push({ i, box, text });
        break;
      }
    }
    for (const { i, box, text } of placed) {
      ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.strokeText(text, box[0] + 1, box[1] + 7);
      ctx.fillStyle = i === selected ? "#000" : "#333";
      ctx.fillText(text, box[0] + 1, box[1] + 7);
    }
    root.dataset.nodes = String(nodes.length);
    root.dataset.rendered = nodes.length ? "1" : "0";
  }

  function hit(px, py) {
    let best = -1, bestD = Infinity;
    nodes.forEach((n, i) => {
      const [x, y] = screen(n);
      const d = Math.hypot(px - x, py - y);
      if (d <= radius(n) + 4 && d < bestD) { best = i; bestD = d; }
    });
    return best;
  }

  function local(ev) {
    const box = canvas.getBoundingClientRect();
    return [ev.clientX - box.left, ev.clientY - box.top];
  }

  canvas.addEventListener("mousedown", (ev) => {
    const [x, y] = local(ev);
    drag = { x, y, tx: view.tx, ty: view.ty, moved: false };
  });
  canvas.addEventListener("mousemove", (ev) => {
    const [x, y] = local(ev);
    if (drag) {
      if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > 3) drag.moved = true;
      if (drag.moved) { view.tx = drag.tx + x - drag.x; view.ty = drag.ty + y - drag.y; draw(); }
      return;
    }
    const h = hit(x, y);
    if (h !== hover) {
      hover = h;
      canvas.style.cursor = h >= 0 ? "pointer" : "default";
      if (h >= 0) {
        const n = nodes[h];
        tip.textContent = n.id + (n.modules > 1 ? ` · ${n.modules} modules` : "") + (n.lines ? ` · ${n.lines} lines` : "");
        tip.style.left = (x + 12) + "px"; tip.style.top = (y + 12) + "px"; tip.style.display = "block";
      } else {
        tip.style.display = "none";
      }
      draw();
    }
  });
  window.addEventListener("mouseup", onUp);
  function onUp(ev) {
    if (!drag) return;
    const moved = drag.moved;
    drag = null;
    if (moved || ev.target !== canvas) return;
    const [x, y] = local(ev);
    const h = hit(x, y);
    model.set("selected", h >= 0 ? nodes[h].id : null);
    model.save_changes();
    draw();
  }
  canvas.addEventListener("dblclick", (ev) => {
    const [x, y] = local(ev);
    const h = hit(x, y);
    if (h >= 0) model.send({ event: "open", id: nodes[h].id });
  });
  canvas.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const [x, y] = local(ev);
    const f = Math.exp(-ev.deltaY * 0.0015);
    const s = Math.min(40, Math.max(0.2, view.scale * f));
    const k = s / view.scale;
    view.tx = x - (x - view.tx) * k; view.ty = y - (y - view.ty) * k; view.scale = s;
    draw();
  }, { passive: false });

  // For tests and tools: where a node is drawn, relative to the canvas.
  canvas.wbNodeScreen = (id) => {
    if (!byId.has(id)) return null;
    const [x, y] = screen(nodes[byId.get(id)]);
    return { x, y };
  };
  canvas.wbFit = () => { fit(); draw(); };
  // The labels drawn, as boxes in canvas pixels, most important first.
  canvas.wbLabels = () => placed.map(({ i, box, text }) => ({ id: nodes[i].id, text,
    x: box[0], y: box[1], w: box[2] - box[0], h: box[3] - box[1] }));
  // The part of the canvas the drawing covers (node discs, labels included).
  canvas.wbExtent = () => {
    const all = nodes.map((n) => { const [x, y] = screen(n), r = radius(n); return [x - r, y - r, x + r, y + r]; })
      .concat(placed.map((p) => p.box));
    if (!all.length) return null;
    const x0 = Math.min(...all.map((b) => b[0])), y0 = Math.min(...all.map((b) => b[1]));
    const x1 = Math.max(...all.map((b) => b[2])), y1 = Math.max(...all.map((b) => b[3]));
    return { x0, y0, x1, y1, width, height, nodes: nodes.length, labels: placed.length };
  };

  const ro = new ResizeObserver(() => { size(); draw(); });
  ro.observe(root);
  model.on("change:nodes", load);
  model.on("change:edges", load);
  model.on("change:selected", draw);
  model.on("change:highlight", draw);
  model.on("change:height", () => { size(); draw(); });
  size();
  load();
  return () => { ro.disconnect(); window.removeEventListener("mouseup", onUp); };
}

export default { render };
