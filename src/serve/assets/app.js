// The page of `dealcoach serve`: edit a deal, see the coach's advice and the power map.
//
// Plain JavaScript, no build step, nothing loaded from elsewhere. Every word shown comes
// from the playbooks' label catalog (GET /words); deal text is only ever put on the
// page as text (textContent), never as markup. The map is SVG the server made with
// every text escaped and no script in it.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const editor = $("deal");
  const gutter = $("gutter");
  const highlight = $("highlight");
  const LINE = 20; // px, as app.css sets the editor's line-height
  const PAD = 8; // px, the editor's top padding
  const WAIT = 350; // ms after the last keystroke before asking the server

  const state = {
    lang: document.documentElement.lang || "en",
    words: {},
    token: sessionStorage.getItem("dealcoach-token") || "",
    timer: 0,
    asked: 0,
    mapUrl: "",
    problemLine: 0,
  };

  // ── Words ──────────────────────────────────────────────────────────────────────────
  const word = (key) => (key in state.words ? state.words[key] : key);
  const fill = (key, values) =>
    word(key).replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  const label = (vocabulary, value) => {
    const key = vocabulary + "." + value;
    return key in state.words ? state.words[key] : value;
  };

  async function loadWords(lang) {
    const response = await fetch("/words?lang=" + encodeURIComponent(lang));
    const data = await response.json();
    state.lang = data.lang;
    state.words = data.words;
    document.documentElement.lang = data.lang;
    for (const element of document.querySelectorAll("[data-word]")) {
      element.textContent = word(element.dataset.word);
    }
    document.title = word("page.title");
  }

  // ── The editor: line numbers, and the line a problem is on ────────────────────────
  function renumber() {
    const lines = editor.value.split("\n").length;
    if (gutter.childElementCount !== lines) {
      const numbers = document.createDocumentFragment();
      for (let line = 1; line <= lines; line++) {
        const number = document.createElement("div");
        number.textContent = String(line);
        numbers.appendChild(number);
      }
      gutter.replaceChildren(numbers);
    }
    markLine(state.problemLine);
    follow();
  }

  function follow() {
    gutter.scrollTop = editor.scrollTop;
    if (state.problemLine > 0) {
      highlight.style.top = PAD + (state.problemLine - 1) * LINE - editor.scrollTop + "px";
    }
  }

  function markLine(line) {
    state.problemLine = line;
    for (const bad of gutter.querySelectorAll(".bad")) bad.classList.remove("bad");
    if (line > 0 && gutter.children[line - 1]) {
      gutter.children[line - 1].classList.add("bad");
      highlight.hidden = false;
    } else {
      highlight.hidden = true;
    }
    follow();
  }

  function showProblem(error) {
    const text = error.line > 0
      ? fill(error.column > 0 ? "page.error.at" : "page.error.line", error)
      : error.message;
    $("problem-text").textContent = text;
    $("problem").hidden = false;
    markLine(error.line || 0);
    if (error.line > 0) {
      const top = (error.line - 1) * LINE;
      if (top < editor.scrollTop || top > editor.scrollTop + editor.clientHeight - 2 * LINE) {
        editor.scrollTop = Math.max(0, top - 3 * LINE);
      }
    }
    document.body.classList.add("stale");
  }

  function clearProblem() {
    $("problem").hidden = true;
    markLine(0);
    document.body.classList.remove("stale");
  }

  // ── The common fields, read from and written into the deal's text ─────────────────
  const FIELDS = ["name", "as_of", "stage", "amount", "expected_close", "temperature", "next_step"];
  const form = $("fields");

  function isJson(text) {
    return text.trimStart().startsWith("{");
  }

  // The `deal:` block of a YAML deal: its lines, and the indentation of its keys.
  function dealBlock(lines) {
    const start = lines.findIndex((line) => /^deal:\s*(#.*)?$/.test(line));
    if (start < 0) return null;
    let end = start + 1;
    let indent = "";
    while (end < lines.length) {
      const line = lines[end];
      if (/^\S/.test(line) && !line.startsWith("#")) break;
      if (!indent && /^\s+[A-Za-z_]/.test(line)) indent = line.match(/^\s+/)[0];
      end++;
    }
    while (end > start + 1 && lines[end - 1].trim() === "") end--;
    return { start, end, indent: indent || "  " };
  }

  function scalar(raw) {
    let text = raw.trim();
    if (text.startsWith('"')) {
      try {
        return JSON.parse(text.replace(/\s+#.*$/, ""));
      } catch (_) {
        return text.slice(1, text.lastIndexOf('"'));
      }
    }
    if (text.startsWith("'")) return text.slice(1, text.lastIndexOf("'")).replace(/''/g, "'");
    return text.replace(/\s+#.*$/, "");
  }

  function readFields(text) {
    if (isJson(text)) {
      try {
        const deal = JSON.parse(text).deal;
        return deal && typeof deal === "object" ? deal : null;
      } catch (_) {
        return null;
      }
    }
    const lines = text.split("\n");
    const block = dealBlock(lines);
    if (!block) return null;
    const values = {};
    for (let index = block.start + 1; index < block.end; index++) {
      const match = lines[index].match(/^(\s+)([A-Za-z_]+):(.*)$/);
      if (match && match[1] === block.indent) values[match[2]] = scalar(match[3]);
    }
    return values;
  }

  function yamlValue(name, value) {
    if (/^-?\d+(\.\d+)?$/.test(value) && name !== "name" && name !== "next_step") return value;
    if (/^\d{4}-\d{2}-\d{2}$/.test(value) || /^[a-z_]+$/.test(value) && name === "stage") return value;
    return JSON.stringify(value);
  }

  function writeField(name, value) {
    const text = editor.value;
    if (isJson(text)) {
      try {
        const parsed = JSON.parse(text);
        parsed.deal = parsed.deal || {};
        const number = name === "amount" || name === "temperature";
        if (value === "") delete parsed.deal[name];
        else parsed.deal[name] = number ? Number(value) : value;
        editor.value = JSON.stringify(parsed, null, 2) + "\n";
      } catch (_) {
        return;
      }
    } else {
      const lines = text.split("\n");
      const block = dealBlock(lines);
      if (!block) return;
      const line = block.indent + name + ": " + yamlValue(name, value);
      let found = -1;
      for (let index = block.start + 1; index < block.end; index++) {
        const match = lines[index].match(/^(\s+)([A-Za-z_]+):/);
        if (match && match[1] === block.indent && match[2] === name) found = index;
      }
      if (found >= 0 && value === "") lines.splice(found, 1);
      else if (found >= 0) lines[found] = line;
      else if (value !== "") lines.splice(block.end, 0, line);
      editor.value = lines.join("\n");
    }
    renumber();
    changed(false);
  }

  function showFields() {
    const values = readFields(editor.value);
    $("fields-note").hidden = values !== null;
    for (const name of FIELDS) {
      const input = form.elements[name];
      input.disabled = values === null;
      if (document.activeElement === input) continue;
      const value = values && values[name] !== undefined && values[name] !== null ? String(values[name]) : "";
      if (input.value !== value) input.value = value;
    }
  }

  // ── Asking the server ──────────────────────────────────────────────────────────────
  function status(key) {
    $("status").textContent = word(key);
    $("status").dataset.state = key;
  }

  async function ask(path, body) {
    const headers = { "Content-Type": isJson(body) ? "application/json" : "application/yaml" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    return fetch(path + "?lang=" + encodeURIComponent(state.lang), { method: "POST", headers, body });
  }

  function changed(fromEditor) {
    if (fromEditor) showFields();
    status("page.status.updating");
    clearTimeout(state.timer);
    state.timer = setTimeout(update, WAIT);
  }

  async function update() {
    const asked = ++state.asked;
    const text = editor.value;
    status("page.status.updating");
    let next;
    let map;
    try {
      [next, map] = await Promise.all([ask("/v1/next", text), ask("/v1/map", text)]);
    } catch (_) {
      if (asked === state.asked) status("page.status.offline");
      return;
    }
    if (asked !== state.asked) return; // the deal changed since: a newer answer is coming
    if (next.status === 401) {
      $("token-box").hidden = false;
      status("page.token.needed");
      return;
    }
    $("token-box").hidden = true;
    if (!next.ok) {
      let error = { line: 0, column: 0, message: next.statusText };
      try {
        error = (await next.json()).errors[0] || error;
      } catch (_) {
        /* not JSON: the status says it */
      }
      if (asked !== state.asked) return;
      showProblem(error);
      status("page.status.ready");
      return;
    }
    const report = await next.json();
    const svg = map.ok ? await map.text() : "";
    if (asked !== state.asked) return;
    clearProblem();
    renderAdvice(report);
    if (svg) renderMap(svg);
    status("page.status.ready");
  }

  // ── The advice ─────────────────────────────────────────────────────────────────────
  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function glance(report) {
    const box = element("div", "glance");
    box.appendChild(element("h3", "deal-name", report.deal.name));
    box.appendChild(element("p", "muted", fill("next.as_of", { date: report.deal.as_of })));
    const a = report.assessment;
    const t = a.temperature;
    const parts = [];
    if (t.stated === null || t.stated === undefined) parts.push(fill("next.temperature.unstated", { evidence: t.evidence }));
    else parts.push(fill(t.stated > t.evidence ? "next.temperature.below" : "next.temperature.at_or_above", { stated: t.stated, evidence: t.evidence }));
    parts.push(a.information_completeness === null || a.information_completeness === undefined
      ? word("next.information.unassessed")
      : fill("next.information", { percent: Math.round(a.information_completeness * 100) }));
    parts.push(fill("next.phase", { phase: label("phase", a.phase) }));
    if (a.relationship_stage) parts.push(fill("next.relationship", { stage: label("relationship_stage", a.relationship_stage) }));
    box.appendChild(element("p", "facts", parts.join(" · ")));
    const chips = element("ul", "coverage");
    for (const [role, status] of Object.entries(a.influencer_coverage || {})) {
      const chip = element("li", status === "engaged" ? "ok" : "gap", label("role", role) + " · " + label("coverage", status));
      chips.appendChild(chip);
    }
    box.appendChild(chips);
    return box;
  }

  function section(titleKey, count) {
    const box = element("section", "part");
    const heading = element("h3", null, word(titleKey));
    if (count !== undefined) heading.appendChild(element("span", "count", String(count)));
    box.appendChild(heading);
    return box;
  }

  function list(items, className) {
    const ul = element("ul", className);
    for (const item of items) ul.appendChild(element("li", null, item));
    return ul;
  }

  function moveItem(move) {
    const li = element("li", "move");
    const head = element("div", "head");
    head.appendChild(element("span", "priority", String(move.priority ?? "")));
    head.appendChild(element("span", "title", move.title));
    if (move.by) head.appendChild(element("span", "by", fill("next.by", { date: move.by })));
    li.appendChild(head);
    if (move.why && move.why.length) li.appendChild(list(move.why, "why"));
    if (move.questions && move.questions.length) {
      const ask = element("div", "ask");
      ask.appendChild(element("span", "label", word("next.ask")));
      ask.appendChild(list(move.questions, "questions"));
      li.appendChild(ask);
    }
    if (move.steps && move.steps.length) {
      const steps = element("div", "steps");
      steps.appendChild(element("span", "label", word("next.steps")));
      const ol = element("ol");
      for (const step of move.steps) {
        const item = element("li", null, step.title);
        if (step.by) item.appendChild(element("span", "by", fill("next.by", { date: step.by })));
        ol.appendChild(item);
      }
      steps.appendChild(ol);
      li.appendChild(steps);
    }
    li.appendChild(element("div", "rule", fill("page.rule", { rule: move.rule.id })));
    return li;
  }

  function warningItem(warning) {
    const li = element("li", "warning " + (warning.severity || ""));
    const head = element("div", "head");
    head.appendChild(element("span", "severity", label("severity", warning.severity)));
    head.appendChild(element("span", "title", warning.title));
    li.appendChild(head);
    if (warning.why && warning.why.length) li.appendChild(list(warning.why, "why"));
    li.appendChild(element("div", "rule", fill("page.rule", { rule: warning.rule.id })));
    return li;
  }

  function sightingItem(sighting) {
    const li = element("li", "sighting");
    li.appendChild(element("span", "concept", label("concept", sighting.concept)));
    let said = "";
    if (sighting.from && sighting.evidence) said = fill("sighting.said", { who: sighting.from, words: sighting.evidence });
    else if (sighting.from) said = fill("sighting.from", { who: sighting.from });
    else if (sighting.evidence) said = "“" + sighting.evidence + "”";
    if (said) li.appendChild(element("span", "said", said));
    if (sighting.handled !== undefined) {
      li.appendChild(element("span", sighting.handled ? "tag handled" : "tag open", word(sighting.handled ? "sighting.handled" : "sighting.open")));
    }
    li.appendChild(element("span", "source", fill("next.source", { source: sighting.source })));
    return li;
  }

  const SHOWN_MOVES = 7;

  function renderAdvice(report) {
    const out = $("advice");
    const parts = [glance(report)];

    const moves = section("heading.moves", report.moves.length);
    if (report.moves.length === 0) moves.appendChild(element("p", "muted", word("page.no_moves")));
    const ol = element("ol", "moves");
    report.moves.slice(0, SHOWN_MOVES).forEach((move) => ol.appendChild(moveItem(move)));
    moves.appendChild(ol);
    if (report.moves.length > SHOWN_MOVES) {
      const more = element("details", "more");
      more.appendChild(element("summary", null, fill("page.more", { n: report.moves.length - SHOWN_MOVES })));
      const rest = element("ol", "moves");
      rest.start = SHOWN_MOVES + 1;
      report.moves.slice(SHOWN_MOVES).forEach((move) => rest.appendChild(moveItem(move)));
      more.appendChild(rest);
      moves.appendChild(more);
    }
    parts.push(moves);

    const warnings = section("heading.warnings", report.warnings.length);
    if (report.warnings.length === 0) warnings.appendChild(element("p", "muted", word("next.nothing")));
    const wl = element("ul", "warnings");
    report.warnings.forEach((warning) => wl.appendChild(warningItem(warning)));
    warnings.appendChild(wl);
    parts.push(warnings);

    // The rep's snoozes in force: what each hides, or that it hides nothing any more.
    if (report.snoozed && report.snoozed.length) {
      const box = section("heading.snoozed", report.snoozed.length);
      const ul = element("ul", "snoozed");
      for (const entry of report.snoozed) {
        const li = element("li", "snooze");
        li.appendChild(element("div", "head", fill("next.snoozed_until", { date: entry.until, reason: entry.reason })));
        const hidden = entry.hides.map((item) => item.title).filter(Boolean);
        if (hidden.length) li.appendChild(list(hidden, "hidden"));
        else li.appendChild(element("div", "muted", word("next.snooze_idle")));
        li.appendChild(element("div", "rule", entry.concept));
        ul.appendChild(li);
      }
      box.appendChild(ul);
      parts.push(box);
    }

    for (const [key, items] of [["heading.signals", report.signals], ["heading.objections", report.objections]]) {
      const box = section(key, items.length);
      if (items.length === 0) box.appendChild(element("p", "muted", word("next.nothing")));
      const ul = element("ul", "sightings");
      items.forEach((item) => ul.appendChild(sightingItem(item)));
      box.appendChild(ul);
      parts.push(box);
    }

    if (report.errors && report.errors.length) {
      const box = section("heading.errors", report.errors.length);
      box.classList.add("errors");
      box.appendChild(list(report.errors.map((error) => error.id + ": " + error.message), "failed"));
      parts.push(box);
    }
    out.replaceChildren(...parts);
  }

  // ── The map ────────────────────────────────────────────────────────────────────────
  function renderMap(svgText) {
    const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const root = parsed.documentElement;
    if (!root || root.nodeName !== "svg" || parsed.getElementsByTagName("parsererror").length) return;
    for (const script of root.querySelectorAll("script, foreignObject")) script.remove();
    root.removeAttribute("width");
    root.removeAttribute("height");
    $("map").replaceChildren(document.importNode(root, true));
    if (state.mapUrl) URL.revokeObjectURL(state.mapUrl);
    state.mapUrl = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
    const link = $("map-download");
    link.href = state.mapUrl;
    link.hidden = false;
  }

  // ── Wiring ─────────────────────────────────────────────────────────────────────────
  editor.addEventListener("input", () => {
    renumber();
    changed(true);
  });
  editor.addEventListener("scroll", follow);
  form.addEventListener("input", (event) => {
    const input = event.target;
    if (input.name) writeField(input.name, input.value.trim());
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  $("lang").addEventListener("change", async (event) => {
    await loadWords(event.target.value);
    const url = new URL(location.href);
    url.searchParams.set("lang", state.lang);
    history.replaceState(null, "", url);
    update();
  });
  $("reset").addEventListener("click", async () => {
    const response = await fetch("/assets/example.yaml");
    editor.value = await response.text();
    renumber();
    changed(true);
  });
  $("token-use").addEventListener("click", () => {
    state.token = $("token").value.trim();
    sessionStorage.setItem("dealcoach-token", state.token);
    update();
  });

  (async () => {
    try {
      await loadWords(state.lang);
    } catch (_) {
      status("page.status.offline");
    }
    renumber();
    showFields();
    update();
  })();
})();
