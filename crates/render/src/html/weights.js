// The weights demo: for the chosen dataset, each network's first-layer units as pictures and
// (for a hidden layer) the output weights over them as bars, at the epoch the slider picks.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("demo-data").textContent);
  const nets = data.networks;
  const $ = (id) => document.getElementById(id);
  const switcher = $("dataset");
  const slider = $("epoch");
  const epochValue = $("epoch-value");
  const epochMax = $("epoch-max");
  const play = $("play");
  const holder = $("nets");
  const SCALE = 3;
  const BAR_HALF = 21; // pixels from the zero line to the end of the longest bar

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const pct = (x) => (100 * x).toFixed(1) + "%";

  const groups = [];
  nets.forEach((n) => {
    if (!groups.includes(n.group)) groups.push(n.group);
  });
  groups.forEach((g, i) => {
    const input = el("input");
    input.type = "radio";
    input.name = "dataset";
    input.id = "dataset-" + i;
    input.value = g;
    const label = el("label", "", g);
    label.htmlFor = input.id;
    switcher.appendChild(input);
    switcher.appendChild(label);
    input.addEventListener("change", () => {
      if (input.checked) show(g);
    });
  });

  let shown = []; // {net, tiles, bars, stats, note} of the visible sections

  function sheetIndex(n) {
    return nets.indexOf(n);
  }

  function section(n) {
    const s = n.sheet;
    const units = n.units.length;
    // Many units get smaller pictures, so a row stays within the page; past that, it scrolls.
    const scale = units <= 12 ? SCALE : units <= 20 ? 2 : 1;
    const w = s.tile_width * scale;
    const h = s.tile_height * scale;
    const sec = el("section", "net");
    sec.dataset.id = n.id;
    sec.setAttribute("aria-label", n.label);
    sec.appendChild(el("h2", "", n.label));
    const stats = el("p", "stats");
    sec.appendChild(stats);
    const grid = el("div", "wgrid");
    const col = Math.max(w, units <= 20 ? 56 : 34);
    grid.style.gridTemplateColumns = "6.5em repeat(" + units + ", " + col + "px)";
    grid.appendChild(el("div", "rowlabel", ""));
    const tiles = n.units.map((u) => {
      const f = el("figure", "unit");
      const t = el("div", "tile s" + sheetIndex(n));
      t.style.width = w + "px";
      t.style.height = h + "px";
      t.style.backgroundSize = s.columns * w + "px " + s.rows * h + "px";
      t.setAttribute("role", "img");
      f.appendChild(t);
      f.appendChild(el("figcaption", "", u));
      grid.appendChild(f);
      return t;
    });
    const bars = n.classes.map((c) => {
      grid.appendChild(el("div", "rowlabel", c));
      return n.units.map(() => {
        const slot = el("div", "slot");
        const bar = el("div", "bar");
        slot.appendChild(bar);
        grid.appendChild(slot);
        return bar;
      });
    });
    sec.appendChild(grid);
    const note = el("p", "scale-note");
    if (n.classes.length) sec.appendChild(note);
    if (n.cards.length) sec.appendChild(unitCards(n));
    holder.appendChild(sec);
    return { net: n, tiles: tiles, bars: bars, stats: stats, note: note, w: w, h: h };
  }

  // A tile of the network's sheet at its own size, for the cards.
  function sheetTile(n, t) {
    const s = n.sheet;
    const d = el("div", "tile s" + sheetIndex(n));
    d.style.width = s.tile_width + "px";
    d.style.height = s.tile_height + "px";
    d.style.backgroundSize = s.columns * s.tile_width + "px " + s.rows * s.tile_height + "px";
    d.style.backgroundPosition =
      -(t % s.columns) * s.tile_width + "px " + -Math.floor(t / s.columns) * s.tile_height + "px";
    return d;
  }

  // What each hidden unit of the trained network sees: the held-out images that activate it
  // most and least, and how its activation spreads over the held-out split.
  function unitCards(n) {
    const box = el("div", "unitcards");
    box.appendChild(el("h3", "", "What each hidden unit sees (the trained network, on the held-out split)"));
    const row = el("div", "cardrow");
    n.cards.forEach((c, u) => {
      const card = el("figure", "ucard");
      card.dataset.unit = String(u);
      card.appendChild(el("figcaption", "", n.units[u]));
      [["most active", c.top], ["least active", c.bottom]].forEach(([what, tiles]) => {
        card.appendChild(el("p", "what", what));
        const strip = el("div", "strip");
        tiles.forEach((t) => strip.appendChild(sheetTile(n, t)));
        card.appendChild(strip);
      });
      const hist = el("div", "hist");
      const most = Math.max(1, ...c.histogram);
      c.histogram.forEach((k) => {
        const b = el("span", "hbar");
        b.style.height = ((40 * k) / most).toFixed(1) + "px";
        b.title = String(k);
        hist.appendChild(b);
      });
      card.appendChild(hist);
      card.appendChild(el("p", "range", c.range[0].toFixed(2) + " … " + c.range[1].toFixed(2) + " activation"));
      row.appendChild(card);
    });
    box.appendChild(row);
    return box;
  }

  function update() {
    const epoch = Number(slider.value);
    epochValue.textContent = String(epoch);
    shown.forEach((v) => {
      const n = v.net;
      const si = Math.min(epoch, n.snapshots.length - 1);
      const snap = n.snapshots[si];
      const s = n.sheet;
      v.tiles.forEach((t, u) => {
        const i = si * n.units.length + u;
        t.style.backgroundPosition =
          -(i % s.columns) * v.w + "px " + -Math.floor(i / s.columns) * v.h + "px";
        t.setAttribute("aria-label", n.units[u] + " at epoch " + snap.epoch);
      });
      v.stats.textContent =
        snap.label !== null
          ? snap.label
          : snap.loss === null
          ? "Epoch " + snap.epoch + ": the weights before training."
          : "Epoch " + snap.epoch + ": training loss " + snap.loss.toFixed(3) +
            ", training accuracy " + pct(snap.accuracy) + ".";
      if (snap.note) v.stats.textContent += " " + snap.note;
      if (!snap.bars.length) return;
      let scale = 0;
      snap.bars.forEach((r) => r.forEach((x) => (scale = Math.max(scale, Math.abs(x)))));
      v.bars.forEach((row, c) =>
        row.forEach((bar, u) => {
          const x = snap.bars[c][u];
          const len = scale > 0 ? (Math.abs(x) / scale) * BAR_HALF : 0;
          bar.className = "bar " + (x >= 0 ? "pos" : "neg");
          bar.style.height = len.toFixed(1) + "px";
          bar.style.top = x >= 0 ? "calc(50% - " + len.toFixed(1) + "px)" : "50%";
          bar.dataset.weight = x;
          bar.parentNode.title = n.classes[c] + " ← " + n.units[u] + ": " + x;
        })
      );
      v.note.textContent =
        "Bars: the weight of each class's output neuron on each filter, up positive, down negative; " +
        "the longest bar is |w| = " + scale + " at this epoch.";
    });
  }

  function show(group) {
    holder.textContent = "";
    const chosen = nets.filter((n) => n.group === group);
    shown = chosen.map(section);
    const max = Math.max(0, ...chosen.map((n) => n.snapshots.length - 1));
    const wasAtEnd = Number(slider.value) === Number(slider.max);
    slider.max = String(max);
    epochMax.textContent = String(max);
    // Nothing to move through when no network has a training history.
    slider.parentNode.hidden = max === 0;
    if (wasAtEnd || Number(slider.value) > max) slider.value = String(max);
    switcher.querySelectorAll("input").forEach((i) => (i.checked = i.value === group));
    update();
  }

  let timer = null;
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.textContent = "Play";
  }
  play.addEventListener("click", () => {
    if (timer !== null) return stop();
    if (Number(slider.value) >= Number(slider.max)) slider.value = "0";
    update();
    play.textContent = "Pause";
    timer = setInterval(() => {
      if (Number(slider.value) >= Number(slider.max)) return stop();
      slider.value = String(Number(slider.value) + 1);
      update();
    }, 700);
  });
  slider.addEventListener("input", () => {
    stop();
    update();
  });

  // Opens on the trained weights: show() moves a slider that sits at its end to the new end.
  if (groups.length) show(groups[0]);
})();
