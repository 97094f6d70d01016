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

  // The page's own words in English and Korean; the networks' words come with the data as
  // {en, ko}. `?lang=ko` or the switch picks one.
  const T = {
    en: {
      dataset: "Dataset", epoch: "Epoch", of: "of", language: "Language", play: "Play", pause: "Pause",
      atEpoch: (u, e) => u + " at epoch " + e,
      before: (e) => "Epoch " + e + ": the weights before training.",
      stats: (e, loss, acc) => "Epoch " + e + ": training loss " + loss + ", training accuracy " + acc + ".",
      bars: (scale) => "Bars: the weight of each class's output neuron on each filter, up positive, down negative; " +
        "the longest bar is |w| = " + scale + " at this epoch.",
      cards: "What each hidden unit sees (the trained network, on the held-out split)",
      most: "most active", least: "least active", activation: "activation",
    },
    ko: {
      dataset: "데이터셋", epoch: "에포크", of: "/", language: "언어", play: "재생", pause: "일시 정지",
      atEpoch: (u, e) => "에포크 " + e + "의 " + u,
      before: (e) => "에포크 " + e + ": 훈련 전의 가중치입니다.",
      stats: (e, loss, acc) => "에포크 " + e + ": 훈련 손실 " + loss + ", 훈련 정확도 " + acc + ".",
      bars: (scale) => "막대: 각 클래스의 출력 뉴런이 각 필터에 두는 가중치입니다. 위는 양수, 아래는 음수이며, " +
        "이 에포크에서 가장 긴 막대는 |w| = " + scale + "입니다.",
      cards: "각 은닉 뉴런이 보는 것 (훈련된 신경망, 검증 세트)",
      most: "가장 강하게 활성화", least: "가장 약하게 활성화", activation: "활성화 값",
    },
  };
  let lang = new URLSearchParams(location.search).get("lang") === "ko" ? "ko" : "en";
  const t = () => T[lang];
  const tr = (x) => x[lang];
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
    sec.setAttribute("aria-label", tr(n.label));
    sec.appendChild(el("h2", "", tr(n.label)));
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
      f.appendChild(el("figcaption", "", tr(u)));
      grid.appendChild(f);
      return t;
    });
    const bars = n.classes.map((c) => {
      grid.appendChild(el("div", "rowlabel", tr(c)));
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
    box.appendChild(el("h3", "", t().cards));
    const row = el("div", "cardrow");
    n.cards.forEach((c, u) => {
      const card = el("figure", "ucard");
      card.dataset.unit = String(u);
      card.appendChild(el("figcaption", "", tr(n.units[u])));
      [[t().most, c.top], [t().least, c.bottom]].forEach(([what, tiles]) => {
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
      card.appendChild(el("p", "range", c.range[0].toFixed(2) + " … " + c.range[1].toFixed(2) + " " + t().activation));
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
      v.tiles.forEach((tile, u) => {
        const i = si * n.units.length + u;
        tile.style.backgroundPosition =
          -(i % s.columns) * v.w + "px " + -Math.floor(i / s.columns) * v.h + "px";
        tile.setAttribute("aria-label", t().atEpoch(tr(n.units[u]), snap.epoch));
      });
      v.stats.textContent =
        snap.label !== null
          ? tr(snap.label)
          : snap.loss === null
          ? t().before(snap.epoch)
          : t().stats(snap.epoch, snap.loss.toFixed(3), pct(snap.accuracy));
      if (snap.note) v.stats.textContent += " " + tr(snap.note);
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
          bar.parentNode.title = tr(n.classes[c]) + " ← " + tr(n.units[u]) + ": " + x;
        })
      );
      v.note.textContent = t().bars(scale);
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
    play.textContent = t().play;
  }
  play.addEventListener("click", () => {
    if (timer !== null) return stop();
    if (Number(slider.value) >= Number(slider.max)) slider.value = "0";
    update();
    play.textContent = t().pause;
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

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.title = tr(data.title);
    document.querySelector("header h1").textContent = tr(data.title);
    document.querySelector("header .intro").textContent = tr(data.intro);
    document.querySelectorAll("[data-t]").forEach((e) => (e.textContent = t()[e.dataset.t]));
    document.querySelectorAll("input[name=lang]").forEach((i) => (i.checked = i.value === lang));
    play.textContent = timer === null ? t().play : t().pause;
  }
  document.querySelectorAll("input[name=lang]").forEach((i) =>
    i.addEventListener("change", () => {
      if (!i.checked) return;
      lang = i.value;
      applyLanguage();
      const chosen = switcher.querySelector("input:checked");
      if (chosen) show(chosen.value);
    })
  );
  applyLanguage();

  // Opens on the trained weights: show() moves a slider that sits at its end to the new end.
  if (groups.length) show(groups[0]);
})();
