// The draw page: strokes on a canvas (mouse, touch and pen through Pointer Events), sent
// as PNG to /api/predict after each stroke; the answer shows the digit, ten bars and the
// 28x28 image the network saw.
"use strict";

const pad = document.getElementById("pad");
const context = pad.getContext("2d");
// MNIST's strokes are about a tenth of the digit's height; a digit drawn to fill most of
// the box then gets a stroke of about this share of the box.
const STROKE_SHARE = 0.075;
let strokes = [];        // each a list of [x, y] in canvas pixels
let current = null;      // the stroke being drawn
let lastInput = null;    // what was last sent ({blob, name}), re-read when the model changes
let pending = null;      // the newest input waiting while a request is in flight
let busy = false;

function redraw() {
  context.fillStyle = "white";
  context.fillRect(0, 0, pad.width, pad.height);
  context.strokeStyle = "black";
  context.lineWidth = pad.width * STROKE_SHARE;
  context.lineCap = "round";
  context.lineJoin = "round";
  for (const stroke of strokes.concat(current ? [current] : [])) {
    context.beginPath();
    context.moveTo(stroke[0][0], stroke[0][1]);
    for (const [x, y] of stroke.slice(1)) context.lineTo(x, y);
    if (stroke.length === 1) context.lineTo(stroke[0][0] + 0.1, stroke[0][1]);  // a dot
    context.stroke();
  }
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
}

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  current = [point(event)];
  redraw();
});
pad.addEventListener("pointermove", (event) => {
  if (!current) return;
  // Coalesced events keep fast pen and touch strokes smooth.
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const each of (events.length ? events : [event])) current.push(point(each));
  redraw();
});
function endStroke() {
  if (!current) return;
  strokes.push(current);
  current = null;
  redraw();
  sendDrawing();
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

document.getElementById("undo").addEventListener("click", () => {
  strokes.pop();
  redraw();
  sendDrawing();
});
document.getElementById("clear").addEventListener("click", () => {
  strokes = [];
  redraw();
  sendDrawing();
});

function sendDrawing() {
  if (!strokes.length) {
    lastInput = null;
    showNothing("Draw a digit to begin.");
    return;
  }
  pad.toBlob((blob) => send({blob: blob, name: "drawing.png"}), "image/png");
}

function send(input) {
  lastInput = input;
  if (busy) { pending = input; return; }
  busy = true;
  const form = new FormData();
  form.append("image", input.blob, input.name);
  form.append("model", chosenModel());
  form.append("top_k", "3");
  fetch("/api/predict", {method: "POST", body: form})
    .then((response) => response.json().then((body) => ({ok: response.ok, body: body})))
    .then(({ok, body}) => ok ? showAnswer(body) : showNothing(body.error || "The server refused the image."))
    .catch((error) => showNothing("The server did not answer (" + error + "); is mnistcnn serve still running?"))
    .finally(() => {
      busy = false;
      if (pending) { const next = pending; pending = null; send(next); }
    });
}

function chosenModel() {
  const checked = document.querySelector("input[name=model]:checked");
  return checked ? checked.value : "single";
}

function showAnswer(answer) {
  // "unsure: 4 or 9" in words when the top two are close (or an ensemble's members disagree).
  const digit = document.getElementById("digit");
  digit.textContent = answer.answer;
  digit.classList.toggle("unsure", answer.unsure !== null);
  document.getElementById("confidence").textContent =
    "with probability " + answer.probability.toFixed(3) + " (" + answer.model + ")";
  document.getElementById("message").textContent = "";
  const bars = document.getElementById("bars");
  bars.replaceChildren(...answer.probabilities.map((probability, digit) => {
    const row = document.createElement("div");
    row.className = "bar" + (digit === answer.digit ? " chosen" : "");
    row.innerHTML = `<span class="label">${digit}</span><span class="track"><span class="fill"></span></span>` +
      `<span class="value">${probability.toFixed(3)}</span>`;
    row.querySelector(".fill").style.width = (100 * probability).toFixed(1) + "%";
    return row;
  }));
  drawPreprocessed(answer.preprocessed);
}

function drawPreprocessed(rows) {
  const canvas = document.getElementById("preprocessed");
  const small = canvas.getContext("2d");
  const image = small.createImageData(28, 28);
  let ink = 0;
  rows.forEach((row, y) => row.forEach((value, x) => {
    const offset = 4 * (28 * y + x), level = Math.round(255 * value);
    image.data.set([level, level, level, 255], offset);
    ink += value;
  }));
  small.putImageData(image, 0, 0);
  canvas.dataset.ink = ink.toFixed(2);  // for tests and curious readers: the image's total brightness
}

function showNothing(message) {
  document.getElementById("digit").textContent = "?";
  document.getElementById("digit").classList.remove("unsure");
  document.getElementById("confidence").textContent = "";
  document.getElementById("message").textContent = message;
  document.getElementById("bars").replaceChildren();
  drawPreprocessed(Array.from({length: 28}, () => new Array(28).fill(0)));
}

function sendFile(file) {
  if (!file) return;
  strokes = [];
  redraw();
  send({blob: file, name: file.name});
}
document.getElementById("file").addEventListener("change", (event) => sendFile(event.target.files[0]));
document.addEventListener("dragover", (event) => event.preventDefault());
document.addEventListener("drop", (event) => {
  event.preventDefault();
  sendFile(event.dataTransfer.files[0]);
});

for (const radio of document.querySelectorAll("input[name=model]")) {
  radio.addEventListener("change", () => { if (lastInput) send(lastInput); });
}
fetch("/api/models").then((response) => response.json()).then((models) => {
  if (models.serving && models.serving.ensemble) document.getElementById("model-switch").hidden = false;
});

redraw();
showNothing("Draw a digit to begin.");
