// The confusion-matrix demo: builds the table of the chosen network from the embedded data,
// shows a cell's samples in the panel on hover or focus, moves between cells with the keys.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("demo-data").textContent);
  const nets = data.networks;
  const sheets = data.sheets;
  const $ = (id) => document.getElementById(id);
  const netMenu = $("net");
  const table = $("matrix");
  const accuracy = $("accuracy");
  const panelTitle = $("panel-title");
  const panelNote = $("panel-note");
  const panelSamples = $("panel-samples");

  // The page's words in English and Korean; `?lang=ko` or the switch picks one.
  const T = {
    en: {
      network: "Network", view: "View", numbers: "Numbers", samples: "Top samples", language: "Language",
      matrixOf: (l) => "Confusion matrix of " + l,
      predicted: "predicted →", actual: "actual ↓", recall: "recall", precision: "precision",
      accuracy: "accuracy",
      count: (n) => n.toLocaleString("en-US") + " sample" + (n === 1 ? "" : "s"),
      cell: (a, p, n, share) => "actual " + a + " predicted as " + p + ": " + n + (share ? ", " + share + " of actual " + a : ""),
      hint: (shown) => "Rows are the actual class, columns the predicted one. Hover over a cell, or focus it and " +
        "move with the arrow keys, to list its samples (at most " + shown + " per cell on this " +
        "page), the most confident first.",
      accuracyLine: (correct, total, split) => [" (" + correct + " of " + total + " correct) on the " + split + "."],
      panelTitle: ["actual ", " predicted as ", ""],
      empty: "No samples in this cell.",
      some: (n, shown) => n + "; the " + shown + " the network was most confident about:",
      all: (n) => n + ", most confident first:",
      sampleLabel: (i, p, r) => "sample " + i + ", confidence " + p + ", rank " + r,
      sampleTitle: (i) => "sample #" + i,
    },
    ko: {
      network: "신경망", view: "보기", numbers: "숫자", samples: "확신도 상위 샘플", language: "언어",
      matrixOf: (l) => l + "의 오차 행렬",
      predicted: "예측 →", actual: "실제 ↓", recall: "재현율", precision: "정밀도",
      accuracy: "정확도",
      count: (n) => "샘플 " + n.toLocaleString("en-US") + "개",
      cell: (a, p, n, share) => "실제 " + a + ", 예측 " + p + ": " + n + (share ? ", 실제 " + a + "의 " + share : ""),
      hint: (shown) => "행은 실제 클래스, 열은 예측한 클래스입니다. 칸에 마우스를 올리거나, 칸에 포커스를 두고 " +
        "화살표 키로 움직이면 그 칸의 샘플이 확신도가 높은 순서로 나타납니다(이 페이지에서는 칸마다 최대 " +
        shown + "개).",
      accuracyLine: (correct, total, split) => [" (" + total + "개 중 " + correct + "개 정답), " + split + "."],
      panelTitle: ["실제 ", ", 예측 ", ""],
      empty: "이 칸에는 샘플이 없습니다.",
      some: (n, shown) => n + " 중 신경망이 가장 확신한 " + shown + "개:",
      all: (n) => n + ", 확신도가 높은 순서:",
      sampleLabel: (i, p, r) => "샘플 " + i + ", 확신도 " + p + ", 순위 " + r,
      sampleTitle: (i) => "샘플 #" + i,
    },
  };
  let lang = new URLSearchParams(location.search).get("lang") === "ko" ? "ko" : "en";
  const t = () => T[lang];
  // Class names in the page's language.
  const names = (n) => (lang === "ko" && n.classes_ko.length ? n.classes_ko : n.classes);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function cssColour(name) {
    const hex = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }
  const GREEN = cssColour("--correct");
  const RED = cssColour("--wrong");

  // White mixed towards `to` by t; returns the colour and whether text on it should be light.
  function shade(to, t) {
    const c = to.map((v) => Math.round(255 + (v - 255) * t));
    const lum = (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255;
    return { css: "rgb(" + c.join(",") + ")", light: lum < 0.55 };
  }

  const pct = (x, digits) => (x === null ? "–" : (100 * x).toFixed(digits) + "%");

  // A tile of a sprite sheet, drawn `scale` times its size without smoothing.
  function tile(sheetIndex, t, scale) {
    const s = sheets[sheetIndex];
    const w = s.tile_width * scale;
    const h = s.tile_height * scale;
    const d = el("div", "tile s" + sheetIndex);
    d.style.width = w + "px";
    d.style.height = h + "px";
    d.style.backgroundSize = s.columns * w + "px " + s.rows * h + "px";
    d.style.backgroundPosition =
      -(t % s.columns) * w + "px " + -Math.floor(t / s.columns) * h + "px";
    return d;
  }

  nets.forEach((n) => {
    const o = el("option", "", n.label);
    o.value = n.id;
    netMenu.appendChild(o);
  });

  let net = null;
  let stats = null;
  let view = "numbers";
  let cells = [];
  let current = [0, 0];

  function computeStats(n) {
    const k = n.classes.length;
    const rows = n.counts.map((r) => r.reduce((a, b) => a + b, 0));
    const cols = n.classes.map((_, p) => n.counts.reduce((a, r) => a + r[p], 0));
    const correct = n.counts.reduce((a, r, i) => a + r[i], 0);
    const total = rows.reduce((a, b) => a + b, 0);
    return {
      k: k,
      rows: rows,
      recall: rows.map((t, i) => (t ? n.counts[i][i] / t : null)),
      precision: cols.map((t, i) => (t ? n.counts[i][i] / t : null)),
      correct: correct,
      total: total,
      accuracy: total ? correct / total : null,
    };
  }

  function cellLabel(a, p) {
    const c = net.counts[a][p];
    const share = stats.rows[a] ? pct(c / stats.rows[a], 1) : null;
    const cls = names(net);
    return t().cell(cls[a], cls[p], t().count(c), share);
  }

  function fillCell(td, a, p) {
    const c = net.counts[a][p];
    td.textContent = "";
    td.style.background = "";
    td.style.color = "";
    td.classList.remove("zero");
    const sheet = sheets[net.sheet];
    const size = Math.max(48, sheet.tile_width * 2 + 8);
    // Numbers need little room; samples are shown at twice their size.
    td.style.width = (view === "samples" ? size : 52) + "px";
    td.style.height = (view === "samples" ? Math.max(48, sheet.tile_height * 2 + 8) : 34) + "px";
    if (view === "numbers") {
      const share = stats.rows[a] ? c / stats.rows[a] : 0;
      // The square root makes the few-percent confusions visible, as in the static figure.
      const s = shade(a === p ? GREEN : RED, Math.sqrt(share));
      td.style.background = s.css;
      if (s.light) td.style.color = "#fff";
      if (c === 0) td.classList.add("zero");
      td.textContent = c.toLocaleString("en-US");
    } else {
      const top = net.tops[a][p][0];
      if (top) {
        const frame = el("span", "frame " + (a === p ? "ok" : "bad"));
        frame.style.opacity = (0.15 + 0.85 * top[2]).toFixed(3);
        frame.appendChild(tile(net.sheet, top[1], 2));
        frame.dataset.index = top[0];
        td.appendChild(frame);
      }
    }
  }

  function build() {
    stats = computeStats(net);
    const k = stats.k;
    table.textContent = "";
    table.setAttribute("aria-label", t().matrixOf(net.label));
    const cls = names(net);
    const short = cls.every((c) => c.length <= 2);
    const head = el("thead");
    const axis = el("tr");
    axis.appendChild(el("th"));
    const pred = el("th", "axis", t().predicted);
    pred.colSpan = k;
    axis.appendChild(pred);
    axis.appendChild(el("th"));
    head.appendChild(axis);
    const hr = el("tr");
    hr.appendChild(el("th", "axis", t().actual));
    cls.forEach((c) => {
      const th = el("th", "col" + (short ? " short" : ""));
      th.scope = "col";
      th.appendChild(el("span", "", c));
      hr.appendChild(th);
    });
    const rh = el("th", "rp", t().recall);
    rh.scope = "col";
    hr.appendChild(rh);
    head.appendChild(hr);
    table.appendChild(head);

    const body = el("tbody");
    cells = [];
    for (let a = 0; a < k; a++) {
      const tr = el("tr");
      const th = el("th", "", cls[a]);
      th.scope = "row";
      tr.appendChild(th);
      const row = [];
      for (let p = 0; p < k; p++) {
        const td = el("td", "cell");
        td.setAttribute("role", "gridcell");
        td.tabIndex = -1;
        td.dataset.a = a;
        td.dataset.p = p;
        td.setAttribute("aria-label", cellLabel(a, p));
        fillCell(td, a, p);
        tr.appendChild(td);
        row.push(td);
      }
      cells.push(row);
      const r = stats.recall[a];
      const rc = el("td", "recall", pct(r, 1));
      if (r !== null) rc.style.background = shade(GREEN, r * 0.6).css;
      tr.appendChild(rc);
      body.appendChild(tr);
    }
    table.appendChild(body);

    const foot = el("tfoot");
    const fr = el("tr");
    const ph = el("th", "rp", t().precision);
    ph.scope = "row";
    fr.appendChild(ph);
    stats.precision.forEach((v) => {
      const td = el("td", "precision", pct(v, 1));
      if (v !== null) td.style.background = shade(GREEN, v * 0.6).css;
      fr.appendChild(td);
    });
    const acc = el("td", "total", pct(stats.accuracy, 1));
    acc.title = t().accuracy;
    fr.appendChild(acc);
    foot.appendChild(fr);
    table.appendChild(foot);

    $("hint").textContent = t().hint(net.shown);
    accuracy.textContent = "";
    accuracy.appendChild(document.createTextNode(lang === "ko" ? "정확도 " : "Accuracy "));
    accuracy.appendChild(el("b", "", pct(stats.accuracy, 2)));
    const split = lang === "ko" ? net.split_ko : net.split;
    accuracy.appendChild(
      document.createTextNode(
        t().accuracyLine(stats.correct.toLocaleString("en-US"), stats.total.toLocaleString("en-US"), split)[0]
      )
    );
  }

  function refill() {
    cells.forEach((row, a) => row.forEach((td, p) => fillCell(td, a, p)));
  }

  // Shows cell (a, p) in the panel and makes it the one Tab returns to.
  function select(a, p) {
    const [oa, op] = current;
    if (cells[oa] && cells[oa][op]) {
      cells[oa][op].tabIndex = -1;
      cells[oa][op].classList.remove("current");
    }
    current = [a, p];
    const td = cells[a][p];
    td.tabIndex = 0;
    td.classList.add("current");

    const count = net.counts[a][p];
    const tops = net.tops[a][p];
    const cls = names(net);
    const words = t().panelTitle;
    panelTitle.textContent = "";
    panelTitle.appendChild(document.createTextNode(words[0]));
    panelTitle.appendChild(el("b", "", cls[a]));
    panelTitle.appendChild(document.createTextNode(words[1]));
    panelTitle.appendChild(el("b", "", cls[p]));
    let note;
    if (count === 0) {
      note = t().empty;
    } else if (tops.length < count) {
      note = t().some(t().count(count), tops.length);
    } else {
      note = t().all(t().count(count));
    }
    panelNote.textContent = note;
    panelSamples.textContent = "";
    tops.forEach((s, i) => {
      const f = el("figure", "sample " + (a === p ? "ok" : "bad"));
      f.dataset.index = s[0];
      f.dataset.prob = s[2];
      f.setAttribute("aria-label", t().sampleLabel(s[0], pct(s[2], 1), i + 1));
      f.appendChild(tile(net.sheet, s[1], 2));
      f.appendChild(el("figcaption", "", pct(s[2], 1)));
      f.title = t().sampleTitle(s[0]);
      panelSamples.appendChild(f);
    });
  }

  function cellOf(target) {
    const td = target.closest ? target.closest("td.cell") : null;
    return td && table.contains(td) ? [Number(td.dataset.a), Number(td.dataset.p)] : null;
  }

  table.addEventListener("mouseover", (e) => {
    const c = cellOf(e.target);
    if (c && (c[0] !== current[0] || c[1] !== current[1])) select(c[0], c[1]);
  });
  table.addEventListener("focusin", (e) => {
    const c = cellOf(e.target);
    if (c) select(c[0], c[1]);
  });
  table.addEventListener("keydown", (e) => {
    const c = cellOf(e.target);
    if (!c) return;
    const k = stats.k;
    let [a, p] = c;
    switch (e.key) {
      case "ArrowUp": a = Math.max(0, a - 1); break;
      case "ArrowDown": a = Math.min(k - 1, a + 1); break;
      case "ArrowLeft": p = Math.max(0, p - 1); break;
      case "ArrowRight": p = Math.min(k - 1, p + 1); break;
      case "Home": p = 0; break;
      case "End": p = k - 1; break;
      case "PageUp": a = 0; break;
      case "PageDown": a = k - 1; break;
      default: return;
    }
    e.preventDefault();
    cells[a][p].focus();
  });

  netMenu.addEventListener("change", () => {
    show(nets.find((n) => n.id === netMenu.value));
  });
  document.querySelectorAll("input[name=view]").forEach((r) =>
    r.addEventListener("change", () => {
      if (!r.checked) return;
      view = r.value;
      refill();
    })
  );

  // Opens on the network's largest confusion: the cell the chapter talks about.
  function largestConfusion() {
    let best = [0, 0];
    let most = -1;
    net.counts.forEach((row, a) =>
      row.forEach((c, p) => {
        if (a !== p && c > most) {
          most = c;
          best = [a, p];
        }
      })
    );
    return best;
  }

  function show(n) {
    net = n;
    netMenu.value = n.id;
    build();
    // Six samples per row (the 24 most confident fill four rows), fewer when a cell shows fewer.
    const sheet = sheets[n.sheet];
    const columns = Math.min(6, Math.max(3, n.shown));
    $("panel").style.width = columns * (sheet.tile_width * 2 + 4) + (columns - 1) * 6 + 34 + "px";
    const k = stats.k;
    if (k === 0) return;
    const [a, p] = largestConfusion();
    current = [Math.min(a, k - 1), Math.min(p, k - 1)];
    select(current[0], current[1]);
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    const [title, intro] = data.page[lang];
    document.title = title;
    document.querySelector("header h1").textContent = title;
    document.querySelector("header .intro").textContent = intro;
    document.querySelectorAll("[data-t]").forEach((e) => (e.textContent = t()[e.dataset.t]));
    document.querySelectorAll("input[name=lang]").forEach((i) => (i.checked = i.value === lang));
  }
  document.querySelectorAll("input[name=lang]").forEach((i) =>
    i.addEventListener("change", () => {
      if (!i.checked) return;
      lang = i.value;
      applyLanguage();
      if (net) {
        const keep = current;
        build();
        select(keep[0], keep[1]);
      }
    })
  );

  applyLanguage();
  if (nets.length) show(nets[0]);
})();
