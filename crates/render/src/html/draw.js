// The draw page: the reader draws a digit (or picks a held-out sample), the page turns the
// drawing into a 28x28 input the way MNIST's digits were made, and runs the network on it,
// showing each output neuron's score z = b + Σ w·x and, with a hidden layer, how the hidden
// neurons' activations add up to it.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("demo-data").textContent);
  const $ = (id) => document.getElementById(id);

  const T = {
    en: {
      title: "Draw a digit",
      intro: "Draw a digit in the black square (mouse, pen or touch), or pick a held-out sample. " +
        "The drawing is prepared as MNIST's digits were: fitted into a 20x20 box, keeping its " +
        "shape, then centred by its centre of mass in 28x28. Each output neuron then scores the " +
        "input with z = b + Σ w·x: its weights times the pixels, summed, plus its bias; the " +
        "softmax turns the scores into probabilities.",
      dataset: "Dataset", network: "Network", sample: "Sample", clear: "Clear", language: "Language",
      seen: "What the network sees", verdict: "Its answer",
      padHint: "Draw here. Clear starts again; Sample loads a held-out digit.",
      padHintColour: "These images cannot be drawn: Sample loads a held-out image.",
      inputDrawn: "Your drawing, fitted into 20x20 and centred by its centre of mass.",
      inputSample: (i, c) => "Held-out image " + i + ", labelled " + c + ".",
      inputEmpty: "Nothing drawn yet.",
      answer: (c, p) => "It reads this as " + c + " (" + p + ").",
      answerEmpty: "Draw something to see its answer.",
      templates: "Each output neuron: its weights (the template), the weights times this input, and the score",
      template: "weights w", product: "w × x", score: "z = b + Σ w·x",
      hidden: "The hidden neurons: their filters, and how strongly this input activates each",
      filter: (j) => "filter " + (j + 1),
      contributions: "Each class's score, as the sum of its weight × activation over the hidden neurons, plus its bias",
      bias: "bias",
      scale: "Red adds to the score, blue takes from it.",
    },
    ko: {
      title: "숫자를 직접 그려 보기",
      intro: "검은 칸에 숫자를 그려 보세요(마우스, 펜, 터치 모두 됩니다). 샘플 버튼을 누르면 " +
        "검증 세트의 이미지를 불러옵니다. 그린 그림은 MNIST 숫자를 만들 때와 같은 방식으로 " +
        "다듬어집니다. 비율을 유지한 채 20x20 상자에 맞춘 뒤, 무게중심이 28x28의 가운데에 " +
        "오도록 옮깁니다. 그러면 각 출력 뉴런이 z = b + Σ w·x로 점수를 매깁니다. 가중치와 " +
        "픽셀을 곱해 모두 더하고 편향을 더한 값입니다. 소프트맥스가 이 점수들을 확률로 바꿉니다.",
      dataset: "데이터셋", network: "신경망", sample: "샘플", clear: "지우기", language: "언어",
      seen: "신경망이 보는 입력", verdict: "신경망의 답",
      padHint: "여기에 그리세요. 지우기를 누르면 처음부터, 샘플을 누르면 검증 세트의 숫자를 불러옵니다.",
      padHintColour: "이 이미지는 그릴 수 없습니다. 샘플을 눌러 검증 세트의 이미지를 불러오세요.",
      inputDrawn: "그린 그림을 20x20에 맞추고 무게중심으로 가운데에 놓은 것입니다.",
      inputSample: (i, c) => "검증 세트 " + i + "번 이미지, 정답은 " + c + "입니다.",
      inputEmpty: "아직 아무것도 그리지 않았습니다.",
      answer: (c, p) => "신경망은 이것을 " + c + "(으)로 읽습니다 (" + p + ").",
      answerEmpty: "무언가를 그리면 신경망의 답이 나타납니다.",
      templates: "각 출력 뉴런의 가중치(템플릿), 가중치와 이 입력의 곱, 그리고 점수",
      template: "가중치 w", product: "w × x", score: "z = b + Σ w·x",
      hidden: "은닉층 뉴런: 각 필터와, 이 입력이 각 뉴런을 얼마나 활성화하는지",
      filter: (j) => "필터 " + (j + 1),
      contributions: "각 클래스의 점수는 은닉 뉴런마다 가중치 × 활성화 값을 더하고 편향을 더한 것입니다",
      bias: "편향",
      scale: "빨간색은 점수를 높이고, 파란색은 낮춥니다.",
    },
  };
  let lang = new URLSearchParams(location.search).get("lang") === "ko" ? "ko" : "en";
  const t = () => T[lang];

  function b64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  // Little-endian f32, as written; every browser this page targets is little-endian.
  const f32 = (s) => new Float32Array(b64(s).buffer);

  const nets = data.networks.map((n) => ({
    id: n.id, group: n.group, label: n.label, classes: n.classes, classesKo: n.classes_ko,
    scaling: n.scaling,
    layers: n.layers.map((l) => ({
      inputs: l.inputs, outputs: l.outputs, w: f32(l.weight), b: f32(l.bias), act: l.activation,
    })),
  }));
  const samples = {};
  data.samples.forEach((s) => {
    samples[s.group] = {
      channels: s.channels, height: s.height, width: s.width, drawable: s.drawable,
      pixels: b64(s.pixels), labels: s.labels, indices: s.indices,
    };
  });

  const ACT = {
    identity: (v) => v,
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
    tanh: (v) => Math.tanh(v),
    relu: (v) => (v > 0 ? v : 0),
  };

  // The forward pass, as nn::Mlp computes it: each layer z = W x + b, then its activation; the
  // last layer's scores go through the softmax.
  function forward(net, pixels) {
    const s = samples[net.group];
    const plane = s.height * s.width;
    let x = new Float64Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) {
      const c = Math.floor(i / plane);
      const sd = net.scaling.std[c] > 0 ? net.scaling.std[c] : 1;
      x[i] = (pixels[i] / 255 - net.scaling.mean[c]) / sd;
    }
    const input = x;
    const acts = [];
    let z = null;
    net.layers.forEach((l, li) => {
      z = new Float64Array(l.outputs);
      for (let j = 0; j < l.outputs; j++) {
        let sum = 0;
        const row = j * l.inputs;
        for (let i = 0; i < l.inputs; i++) sum += l.w[row + i] * x[i];
        z[j] = sum + l.b[j];
      }
      if (li + 1 < net.layers.length) {
        const f = ACT[l.act] || ACT.identity;
        x = z.map(f);
        acts.push(x);
      }
    });
    let max = -Infinity;
    z.forEach((v) => (max = Math.max(max, v)));
    let total = 0;
    const p = z.map((v) => {
      const e = Math.exp(v - max);
      total += e;
      return e;
    });
    return { input: input, hidden: acts, z: z, p: p.map((v) => v / total) };
  }

  // A hook for tests and the curious: the page's probabilities for any image.
  window.ml4aDraw = {
    probabilities: (id, pixels) => Array.from(forward(nets.find((n) => n.id === id), pixels).p),
    input: () => Array.from(state.input),
  };

  // ---- Drawing and MNIST-style preprocessing -------------------------------------------
  const pad = $("pad");
  const padCtx = pad.getContext("2d", { willReadFrequently: true });
  const inputCanvas = $("input");
  const state = { group: null, net: null, input: new Uint8Array(784), source: "empty", sample: -1 };

  function clearPad() {
    padCtx.fillStyle = "#000";
    padCtx.fillRect(0, 0, pad.width, pad.height);
  }

  // MNIST-style preprocessing, in integer arithmetic so that `experiments::draw::mnist_style`
  // computes the same bytes: the ink's bounding box is fitted into 20x20 keeping its aspect
  // ratio (each output pixel the exact area average of the pad pixels it covers, rounded half
  // up), then placed in 28x28 so that its centre of mass lands on the centre, rounded half up.
  function fit(gray, W, H) {
    const out = new Uint8Array(784);
    let x0 = W, y0 = H, x1 = -1, y1 = -1;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (gray[y * W + x] > 0) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    if (x1 < 0) return out;
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1, m = Math.max(bw, bh);
    const tw = Math.max(1, Math.floor((40 * bw + m) / (2 * m)));
    const th = Math.max(1, Math.floor((40 * bh + m) / (2 * m)));
    // In units where a pad pixel is tw (th) wide and an output pixel bw (bh): source pixel s
    // spans [s*tw, (s+1)*tw), output pixel t spans [t*bw, (t+1)*bw).
    const overlap = (s, t, n, k) => Math.max(0, Math.min((s + 1) * k, (t + 1) * n) - Math.max(s * k, t * n));
    const rows = new Array(bh * tw).fill(0);
    for (let sy = 0; sy < bh; sy++) {
      for (let tx = 0; tx < tw; tx++) {
        let sum = 0;
        const last = Math.floor(((tx + 1) * bw - 1) / tw);
        for (let sx = Math.floor((tx * bw) / tw); sx <= last; sx++) {
          sum += overlap(sx, tx, bw, tw) * gray[(y0 + sy) * W + x0 + sx];
        }
        rows[sy * tw + tx] = sum;
      }
    }
    const area = bw * bh;
    const small = new Array(th * tw).fill(0);
    for (let ty = 0; ty < th; ty++) {
      const last = Math.floor(((ty + 1) * bh - 1) / th);
      for (let tx = 0; tx < tw; tx++) {
        let sum = 0;
        for (let sy = Math.floor((ty * bh) / th); sy <= last; sy++) {
          sum += overlap(sy, ty, bh, th) * rows[sy * tw + tx];
        }
        small[ty * tw + tx] = Math.floor((2 * sum + area) / (2 * area));
      }
    }
    let mass = 0, mx = 0, my = 0;
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = small[y * tw + x];
        mass += v;
        mx += v * (2 * x + 1);
        my += v * (2 * y + 1);
      }
    }
    if (mass === 0) return out;
    // round(14 - centre) with the centre at (mx / 2) / mass. Exact: the integers stay far
    // below 2^53, and a quotient of two of them never rounds across an integer.
    const ox = Math.floor((29 * mass - mx) / (2 * mass));
    const oy = Math.floor((29 * mass - my) / (2 * mass));
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const X = x + ox, Y = y + oy;
        if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = small[y * tw + x];
      }
    }
    return out;
  }

  // The pad as one gray value per pixel (it is drawn white on black, so red is enough).
  function padPixels() {
    const img = padCtx.getImageData(0, 0, pad.width, pad.height).data;
    const gray = new Uint8Array(pad.width * pad.height);
    for (let i = 0; i < gray.length; i++) gray[i] = img[4 * i];
    return gray;
  }

  function prepare() {
    return fit(padPixels(), pad.width, pad.height);
  }
  window.ml4aDraw.pad = () => ({ width: pad.width, height: pad.height, pixels: Array.from(padPixels()) });
  window.ml4aDraw.fit = (gray, w, h) => Array.from(fit(gray, w, h));

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      state.input = prepare();
      state.source = state.input.some((v) => v > 0) ? "drawn" : "empty";
      update();
    });
  }

  let last = null;
  function point(e) {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
  }
  function stroke(a, b) {
    padCtx.strokeStyle = "#fff";
    padCtx.fillStyle = "#fff";
    padCtx.lineWidth = 22;
    padCtx.lineCap = "round";
    padCtx.lineJoin = "round";
    padCtx.beginPath();
    padCtx.moveTo(a[0], a[1]);
    padCtx.lineTo(b[0], b[1]);
    padCtx.stroke();
  }
  pad.addEventListener("pointerdown", (e) => {
    if (!samples[state.group].drawable) return;
    if (state.source === "sample") clearPad();
    pad.setPointerCapture(e.pointerId);
    last = point(e);
    stroke(last, last);
    schedule();
    e.preventDefault();
  });
  pad.addEventListener("pointermove", (e) => {
    if (last === null) return;
    const p = point(e);
    stroke(last, p);
    last = p;
    schedule();
  });
  const end = () => (last = null);
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);

  // ---- Pictures -----------------------------------------------------------------------
  function colour(name) {
    const hex = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }
  const POS = colour("--positive"), NEG = colour("--negative");

  function canvas(w, h, cls) {
    const c = document.createElement("canvas");
    c.width = w;
    c.height = h;
    if (cls) c.className = cls;
    return c;
  }

  // Planar values (channels x h x w) as an image: gray or RGB, each stretched from its own
  // lowest value (black) to its highest (white), as the figures draw templates.
  function putStretched(c, values, channels, h, w) {
    let lo = Infinity, hi = -Infinity;
    values.forEach((v) => {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    });
    const span = hi > lo ? hi - lo : 1;
    putPlanar(c, values.map((v) => (255 * (v - lo)) / span), channels, h, w);
  }

  function putPlanar(c, values, channels, h, w) {
    const ctx = c.getContext("2d");
    const img = ctx.createImageData(w, h);
    const plane = h * w;
    for (let i = 0; i < plane; i++) {
      for (let k = 0; k < 3; k++) {
        const v = values[(channels === 3 ? k : 0) * plane + i];
        img.data[4 * i + k] = Math.round(v);
      }
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  // Signed values per pixel (summed over channels) on white: red positive, blue negative,
  // full colour at `scale`.
  function putSigned(c, values, channels, h, w, scale) {
    const ctx = c.getContext("2d");
    const img = ctx.createImageData(w, h);
    const plane = h * w;
    for (let i = 0; i < plane; i++) {
      let v = 0;
      for (let k = 0; k < channels; k++) v += values[k * plane + i];
      const a = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
      const col = v >= 0 ? POS : NEG;
      for (let k = 0; k < 3; k++) img.data[4 * i + k] = Math.round(255 + (col[k] - 255) * a);
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const pct = (p) => (100 * p).toFixed(1) + "%";
  const num = (v) => (v >= 0 ? "" : "−") + Math.abs(v).toFixed(2);
  const className = (net, c) =>
    lang === "ko" && net.classesKo.length ? net.classesKo[c] : net.classes[c];

  // ---- The views ----------------------------------------------------------------------
  function update() {
    const net = state.net;
    const s = samples[net.group];
    const len = s.channels * s.height * s.width;
    const pixels = state.input.length === len ? state.input : new Uint8Array(len);
    inputCanvas.width = s.width;
    inputCanvas.height = s.height;
    putPlanar(inputCanvas, Array.from(pixels), s.channels, s.height, s.width);
    inputCanvas.dataset.pixels = Array.from(pixels).join(",");
    $("input-note").textContent =
      state.source === "sample"
        ? t().inputSample(s.indices[state.sample], className(net, s.labels[state.sample]))
        : state.source === "drawn" ? t().inputDrawn : t().inputEmpty;
    $("pad-hint").textContent = s.drawable ? t().padHint : t().padHintColour;

    const r = forward(net, pixels);
    const empty = state.source === "empty";
    let best = 0;
    r.p.forEach((p, c) => {
      if (p > r.p[best]) best = c;
    });
    $("verdict").textContent = empty ? t().answerEmpty : t().answer(className(net, best), pct(r.p[best]));
    const probs = $("probs");
    probs.textContent = "";
    r.p.forEach((p, c) => {
      const row = el("div", "prob" + (c === best && !empty ? " best" : ""));
      row.dataset.class = String(c);
      row.dataset.p = String(p);
      row.appendChild(el("span", "name", className(net, c)));
      const track = el("span", "track");
      const fill = el("span", "fill");
      fill.style.width = (100 * p).toFixed(1) + "%";
      track.appendChild(fill);
      row.appendChild(track);
      row.appendChild(el("span", "value", pct(p)));
      probs.appendChild(row);
    });

    const first = net.layers[0];
    const hiddenView = $("hidden-view");
    const classesView = $("classes-view");
    hiddenView.textContent = "";
    classesView.textContent = "";
    if (net.layers.length === 1) {
      classesView.appendChild(el("h2", "", t().templates));
      const grid = el("div", "cards");
      let scale = 0;
      const products = [];
      for (let c = 0; c < first.outputs; c++) {
        const prod = new Float64Array(len);
        for (let i = 0; i < len; i++) {
          prod[i] = first.w[c * len + i] * r.input[i];
        }
        products.push(prod);
        // The product's colour scale is shared by every class, so the pictures compare.
        const plane = s.height * s.width;
        for (let i = 0; i < plane; i++) {
          let v = 0;
          for (let k = 0; k < s.channels; k++) v += prod[k * plane + i];
          scale = Math.max(scale, Math.abs(v));
        }
      }
      for (let c = 0; c < first.outputs; c++) {
        const card = el("figure", "card" + (c === best && !empty ? " best" : ""));
        card.dataset.class = String(c);
        card.dataset.z = String(r.z[c]);
        card.appendChild(el("figcaption", "name", className(net, c)));
        const tpl = canvas(s.width, s.height, "pic");
        putStretched(tpl, Array.from(first.w.subarray(c * len, (c + 1) * len)), s.channels, s.height, s.width);
        tpl.title = t().template;
        const prod = canvas(s.width, s.height, "pic");
        putSigned(prod, products[c], s.channels, s.height, s.width, scale);
        prod.title = t().product;
        const pics = el("div", "pics");
        pics.appendChild(tpl);
        pics.appendChild(prod);
        card.appendChild(pics);
        const sum = r.z[c] - first.b[c];
        card.appendChild(el("p", "z", "z = " + num(first.b[c]) + " + " + num(sum) + " = " + num(r.z[c])));
        card.appendChild(el("p", "p", pct(r.p[c])));
        grid.appendChild(card);
      }
      classesView.appendChild(grid);
      classesView.appendChild(el("p", "hint", t().template + " · " + t().product + " · " + t().score + ". " + t().scale));
      return;
    }
    // A hidden layer: its filters with their activations, then each class's score as the sum
    // of its weight on each hidden neuron times that neuron's activation.
    const h = r.hidden[0];
    hiddenView.appendChild(el("h2", "", t().hidden));
    const row = el("div", "cards");
    let hmax = 0;
    h.forEach((v) => (hmax = Math.max(hmax, Math.abs(v))));
    h.forEach((v, j) => {
      const card = el("figure", "card unit");
      card.dataset.unit = String(j);
      card.dataset.a = String(v);
      card.appendChild(el("figcaption", "name", t().filter(j)));
      const f = canvas(s.width, s.height, "pic");
      putStretched(f, Array.from(first.w.subarray(j * len, (j + 1) * len)), s.channels, s.height, s.width);
      card.appendChild(f);
      const track = el("span", "track");
      const fill = el("span", "fill");
      fill.style.width = (hmax > 0 ? (100 * Math.abs(v)) / hmax : 0).toFixed(1) + "%";
      track.appendChild(fill);
      card.appendChild(track);
      card.appendChild(el("p", "z", v.toFixed(3)));
      row.appendChild(card);
    });
    hiddenView.appendChild(row);

    const out = net.layers[1];
    classesView.appendChild(el("h2", "", t().contributions));
    let cmax = 0;
    for (let c = 0; c < out.outputs; c++) {
      for (let j = 0; j < out.inputs; j++) cmax = Math.max(cmax, Math.abs(out.w[c * out.inputs + j] * h[j]));
    }
    const table = el("div", "contrib");
    table.style.gridTemplateColumns = "7em repeat(" + out.inputs + ", minmax(18px, 42px)) 5em 8em 4em";
    table.appendChild(el("div", ""));
    for (let j = 0; j < out.inputs; j++) table.appendChild(el("div", "head", String(j + 1)));
    table.appendChild(el("div", "head", t().bias));
    table.appendChild(el("div", "head", "z"));
    table.appendChild(el("div", "head", "p"));
    for (let c = 0; c < out.outputs; c++) {
      const cls = c === best && !empty ? " best" : "";
      table.appendChild(el("div", "name" + cls, className(net, c)));
      for (let j = 0; j < out.inputs; j++) {
        const v = out.w[c * out.inputs + j] * h[j];
        const slot = el("div", "slot");
        const bar = el("div", "bar " + (v >= 0 ? "pos" : "neg"));
        const len = cmax > 0 ? (Math.abs(v) / cmax) * 18 : 0;
        bar.style.height = len.toFixed(1) + "px";
        bar.style.top = v >= 0 ? "calc(50% - " + len.toFixed(1) + "px)" : "50%";
        slot.title = className(net, c) + " ← " + t().filter(j) + ": " + v.toFixed(3);
        slot.appendChild(bar);
        table.appendChild(slot);
      }
      table.appendChild(el("div", "num", num(out.b[c])));
      const z = el("div", "num" + cls, "= " + num(r.z[c]));
      z.dataset.z = String(r.z[c]);
      table.appendChild(z);
      table.appendChild(el("div", "num" + cls, pct(r.p[c])));
    }
    classesView.appendChild(table);
    classesView.appendChild(el("p", "hint", t().scale));
  }

  // ---- Controls -----------------------------------------------------------------------
  const switcher = $("dataset");
  const menu = $("net");
  const groups = [];
  nets.forEach((n) => {
    if (!groups.includes(n.group)) groups.push(n.group);
  });
  groups.forEach((g, i) => {
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "dataset";
    input.id = "dataset-" + i;
    input.value = g;
    const label = el("label", "", g);
    label.htmlFor = input.id;
    switcher.appendChild(input);
    switcher.appendChild(label);
    input.addEventListener("change", () => input.checked && showGroup(g));
  });

  function showGroup(g) {
    state.group = g;
    switcher.querySelectorAll("input").forEach((i) => (i.checked = i.value === g));
    menu.textContent = "";
    nets.filter((n) => n.group === g).forEach((n) => {
      const o = el("option", "", n.label);
      o.value = n.id;
      menu.appendChild(o);
    });
    state.net = nets.find((n) => n.group === g);
    clearPad();
    const s = samples[g];
    state.input = new Uint8Array(s.channels * s.height * s.width);
    state.source = "empty";
    pad.classList.toggle("locked", !s.drawable);
    if (!s.drawable) pickSample();
    else update();
  }

  function pickSample(index) {
    const s = samples[state.group];
    const n = s.labels.length;
    const k = index === undefined ? Math.floor(Math.random() * n) : index;
    const len = s.channels * s.height * s.width;
    state.input = s.pixels.slice(k * len, (k + 1) * len);
    state.source = "sample";
    state.sample = k;
    // Shown large on the pad, as the network sees it.
    const c = canvas(s.width, s.height);
    putPlanar(c, Array.from(state.input), s.channels, s.height, s.width);
    padCtx.imageSmoothingEnabled = false;
    padCtx.drawImage(c, 0, 0, pad.width, pad.height);
    update();
  }
  window.ml4aDraw.pickSample = pickSample;

  menu.addEventListener("change", () => {
    state.net = nets.find((n) => n.id === menu.value);
    update();
  });
  $("sample").addEventListener("click", () => pickSample());
  $("clear").addEventListener("click", () => {
    const s = samples[state.group];
    clearPad();
    state.input = new Uint8Array(s.channels * s.height * s.width);
    state.source = "empty";
    if (!s.drawable) pickSample();
    else update();
  });

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.title = t().title;
    document.querySelector("header h1").textContent = t().title;
    document.querySelector("header .intro").textContent = t().intro;
    document.querySelectorAll("[data-t]").forEach((e) => (e.textContent = t()[e.dataset.t]));
    document.querySelectorAll("input[name=lang]").forEach((i) => (i.checked = i.value === lang));
    if (state.net) update();
  }
  document.querySelectorAll("input[name=lang]").forEach((i) =>
    i.addEventListener("change", () => {
      if (!i.checked) return;
      lang = i.value;
      try {
        const url = new URL(location.href);
        url.searchParams.set("lang", lang);
        history.replaceState(null, "", url);
      } catch (_) {
        // Some browsers refuse to change a file: URL; the switch works without it.
      }
      applyLanguage();
    })
  );

  applyLanguage();
  showGroup(groups[0]);
})();
