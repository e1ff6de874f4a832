// The experiments page: every sweep and model, from /api/sweeps and /api/models (which read
// the files the runs saved; nothing is recomputed here).
"use strict";

function element(tag, attributes, children) {
  const node = document.createElement(tag);
  Object.entries(attributes || {}).forEach(([key, value]) => node.setAttribute(key, value));
  (children || []).forEach((child) => node.append(child));
  return node;
}

function figure(value, digits) {
  return value === null || value === undefined ? "" : Number(value).toFixed(digits);
}

function sweepSection(sweep) {
  const header = ["value", "repeats", "valid error %", "against the leader", "P(beats leader)", "test acc",
    "s/run"];
  const rows = sweep.rows.map((row) => {
    const kind = row.verdict === "leader" ? "leader" : row.verdict === "tie" ? "tie" : "";
    // Once its race is over, an open value's label says "undecided after N repeats" itself.
    const against = row.verdict === "leader" ? "leader ★"
      : row.label.startsWith("undecided") ? row.label
      : (row.decided ? "decided: " : "not decided: ") + row.label;
    const cells = [row.value, figure(row.repeats, 0), figure(row.error_rate, 2), against,
      figure(row.p_beats_leader, 2), figure(row.test_accuracy, 4), figure(row.seconds, 0)];
    return element("tr", kind ? {class: kind} : {}, cells.map((cell) => element("td", {}, [cell])));
  });
  const table = element("table", {}, [
    element("tr", {}, header.map((name) => element("th", {}, [name]))), ...rows]);
  const plots = element("div", {class: "plots"}, Object.entries(sweep.plots).map(([name, path]) =>
    element("img", {src: "/files/experiments/" + path, alt: sweep.label + ": " + name})));
  return element("section", {class: "sweep", id: "sweep-" + sweep.name}, [
    element("h2", {}, [sweep.label + " (" + (sweep.architecture || "") + ")"]),
    element("p", {}, ["Leader: ", element("strong", {}, [sweep.leader]),
      sweep.ties.length ? " (tied with " + sweep.ties.join(", ") + ")" : "",
      sweep.command ? ". Made by " : "", sweep.command ? element("code", {}, [sweep.command]) : ""]),
    table, plots]);
}

function searchSection(search) {
  const settings = Object.keys(search.importance);
  const header = ["trial", "valid error %", ...settings];
  const rows = search.best.map((trial) => element("tr", {}, [trial.trial, trial.valid_error_percent,
    ...settings.map((name) => trial[name])].map((cell) => element("td", {}, [String(cell)]))));
  const best = element("table", {}, [element("tr", {}, header.map((name) => element("th", {}, [name]))), ...rows]);
  const importance = settings.map((name) => name + " " + figure(search.importance[name], 2)).join(", ");
  const judged = search.judged
    ? ["Judged by a paired race (", element("code", {}, ["judged/"]), "): winner ",
      element("strong", {}, [search.judged.leader]), "; " + search.judged.rows
        .filter((row) => row.verdict !== "leader").map((row) => row.value + " " + row.label).join("; ") + "."]
    : ["Not judged yet: run ", element("code", {}, ["mnistcnn search " + search.name + " --judge"]),
      " before training on it."];
  const plots = element("div", {class: "plots"}, Object.entries(search.plots).map(([name, path]) =>
    element("img", {src: "/files/experiments/" + path, alt: "search " + search.name + ": " + name})));
  return element("section", {class: "search", id: "search-" + search.name}, [
    element("h2", {}, ["Search " + search.name]),
    element("p", {}, [search.states.complete + " trials completed, " + search.states.pruned +
      " stopped early by the pruner", search.command ? ". Made by " : "",
      search.command ? element("code", {}, [search.command]) : ""]),
    element("p", {}, ["Which settings matter (importance): " + importance + "."]),
    element("p", {}, judged), best, plots]);
}

function modelSection(model) {
  const recipe = Object.entries(model.recipe).filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => key + " " + value).join(", ");
  const accuracy = Object.entries(model.accuracy).map(([split, value]) => split + " " + figure(value, 4)).join(", ");
  const facts = [["recipe", recipe], ["data", model.data || "not recorded"], ["validation split", model.valid_split],
    ["epochs", model.epochs_run], ["minutes", model.minutes], ["accuracy", accuracy],
    ["member of", model.member_of], ["made by", model.command], ["date", model.date]]
    .filter(([, value]) => value !== null && value !== undefined && value !== "");
  const list = element("dl", {}, facts.flatMap(([key, value]) =>
    [element("dt", {}, [key]), element("dd", {}, [String(value)])]));
  const report = element("div", {class: "report"}, Object.entries(model.report).map(([name, path]) =>
    element("img", {src: "/files/models/" + path, alt: model.name + ": " + name.replace("_", " ")})));
  return element("section", {class: "model"}, [element("h2", {}, [model.name]), list, report]);
}

function fill(id, items, section, empty) {
  const place = document.getElementById(id);
  place.replaceChildren(...(items.length ? items.map(section) : [element("p", {}, [empty])]));
}

fetch("/api/sweeps").then((response) => response.json()).then((answer) =>
  fill("sweeps", answer.sweeps, sweepSection, "No sweeps yet: run `mnistcnn sweep pooling`."));
fetch("/api/searches").then((response) => response.json()).then((answer) =>
  fill("searches", answer.searches, searchSection, "No searches yet: run `mnistcnn search NAME --trials 3`."));
fetch("/api/models").then((response) => response.json()).then((answer) =>
  fill("models", answer.models, modelSection, "No models yet: run `mnistcnn train-final`."));
