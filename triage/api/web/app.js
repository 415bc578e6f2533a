// triage web page: HPO autocomplete, term list, ranking table, optional VCF case.
// Plain JS, no build step. All data goes into the DOM through textContent (no innerHTML).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const input = $("term-input"), listbox = $("term-options"), chosenList = $("chosen");
  const rankBtn = $("rank-btn"), resultsBody = $("results-body"), errorBox = $("error");
  const chosen = []; // {id, label, excluded}
  let options = [], active = -1, searchSeq = 0, debounce = null;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  async function api(path, opts) {
    const resp = await fetch(path, opts);
    const type = resp.headers.get("content-type") || "";
    const body = type.includes("json") ? await resp.json() : await resp.text();
    if (!resp.ok) {
      const msg = body && body.detail ? body.detail : `HTTP ${resp.status}`;
      const err = new Error(msg);
      err.status = resp.status; err.body = body;
      throw err;
    }
    return body;
  }

  function showError(msg) { errorBox.textContent = msg || ""; }

  // ------------------------------------------------------------ autocomplete
  function closeOptions() {
    listbox.hidden = true; listbox.replaceChildren(); options = []; active = -1;
    input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant");
  }

  function setActive(i) {
    const items = listbox.querySelectorAll("[role=option]");
    items.forEach((li, j) => li.setAttribute("aria-selected", j === i ? "true" : "false"));
    active = i;
    if (i >= 0 && items[i]) {
      input.setAttribute("aria-activedescendant", items[i].id);
      items[i].scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function renderOptions(results) {
    options = results; listbox.replaceChildren();
    if (!results.length) {
      listbox.append(el("li", { class: "none", "aria-disabled": "true", text: "No matching term" }));
    }
    results.forEach((r, i) => {
      const li = el("li", { role: "option", id: `opt-${i}`, "aria-selected": "false", "data-id": r.id },
        el("span", { class: "lab", text: r.label }), " ",
        el("span", { class: "id", text: r.id }),
        r.matched_synonym ? el("span", { class: "syn", text: ` — “${r.matched_synonym}”` }) : null);
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); pick(i); });
      listbox.append(li);
    });
    listbox.hidden = false; input.setAttribute("aria-expanded", "true");
    setActive(results.length ? 0 : -1);
  }

  async function search(q) {
    const seq = ++searchSeq;
    try {
      const data = await api(`/v1/terms?q=${encodeURIComponent(q)}&limit=10`);
      if (seq === searchSeq && input.value.trim() === q) renderOptions(data.results);
    } catch (e) { if (seq === searchSeq) showError(e.message); }
  }

  input.addEventListener("input", () => {
    const q = input.value.trim();
    clearTimeout(debounce);
    if (q.length < 2) { closeOptions(); return; }
    debounce = setTimeout(() => search(q), 150);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" && options.length) { ev.preventDefault(); setActive((active + 1) % options.length); }
    else if (ev.key === "ArrowUp" && options.length) { ev.preventDefault(); setActive((active - 1 + options.length) % options.length); }
    else if (ev.key === "Enter") { ev.preventDefault(); if (active >= 0) pick(active); }
    else if (ev.key === "Escape") closeOptions();
  });
  input.addEventListener("blur", () => setTimeout(closeOptions, 100));

  function pick(i) {
    const r = options[i];
    if (!r) return;
    if (!chosen.some((t) => t.id === r.id)) chosen.push({ id: r.id, label: r.label, excluded: false });
    input.value = ""; closeOptions(); renderChosen(); input.focus();
  }

  // ------------------------------------------------------------ chosen terms
  function renderChosen() {
    chosenList.replaceChildren();
    chosen.forEach((t, i) => {
      const toggle = el("button", {
        type: "button", class: "toggle", "aria-pressed": String(t.excluded),
        "aria-label": `${t.label}: ${t.excluded ? "excluded (absent)" : "observed"}; toggle`,
        text: t.excluded ? "excluded" : "observed",
        onclick: () => { t.excluded = !t.excluded; renderChosen(); chosenList.querySelectorAll(".toggle")[i].focus(); },
      });
      const remove = el("button", { type: "button", "aria-label": `Remove ${t.label}`, text: "✕",
        onclick: () => { chosen.splice(i, 1); renderChosen(); input.focus(); } });
      chosenList.append(el("li", { class: t.excluded ? "excluded" : "", "data-id": t.id },
        el("span", { class: "term-label", text: t.label }), el("span", { class: "did", text: t.id }), toggle, remove));
    });
    $("chosen-count").textContent = `(${chosen.length})`;
    $("chosen-empty").hidden = chosen.length > 0;
    rankBtn.disabled = !chosen.some((t) => !t.excluded);
  }

  $("clear-btn").addEventListener("click", () => { chosen.length = 0; renderChosen(); input.focus(); });

  // ------------------------------------------------------------ results
  function pct(p) { return p == null ? "–" : (p * 100 >= 0.1 ? (p * 100).toFixed(1) + " %" : "<0.1 %"); }

  function renderResult(res) {
    const frag = [];
    const n = res.diseases.length;
    frag.push(el("p", { text: `${n} best of ${res.n_diseases_ranked} diseases ranked ` +
      `(scorer ${res.query.scorer}, HPO ${res.data_versions.hpo || "?"}).` }));
    if (res.warnings && res.warnings.length) {
      frag.push(el("ul", { class: "warnings", "aria-label": "Warnings" },
        ...res.warnings.map((w) => el("li", { text: w.message }))));
    }
    const tbody = el("tbody");
    res.diseases.forEach((d, i) => {
      const rowId = `expl-${i}`;
      const btn = el("button", { type: "button", class: "explain-btn", "aria-expanded": "false",
        "aria-controls": rowId, text: "Explain" });
      const bar = el("span", { class: "bar", "aria-hidden": "true" });
      bar.style.width = `${Math.max(1, Math.round((d.posterior || 0) * 80))}px`;
      const row = el("tr", {},
        el("td", { class: "num", text: String(d.rank) }),
        el("td", {}, el("div", { text: d.label }), el("div", { class: "did", text: d.id })),
        el("td", { class: "num" }, bar, el("span", { text: pct(d.posterior) })),
        el("td", { text: (d.genes || []).slice(0, 6).join(", ") + ((d.genes || []).length > 6 ? " …" : "") }),
        el("td", {}, btn));
      const matches = (d.explanation && d.explanation.matches) || [];
      const expl = el("tr", { id: rowId, class: "explain", hidden: "" },
        el("td", { colspan: "5" },
          el("p", { text: (d.explanation && d.explanation.summary) || "No explanation." }),
          el("ul", {}, ...matches.map((m) => el("li", {},
            el("span", { text: `${m.query_label} (${m.query_id})${m.excluded ? " [excluded]" : ""}: ` }),
            el("span", { class: "mt", text: m.match_type.replace(/_/g, " ") }),
            el("span", { text:
              (m.disease_term_label ? ` via ${m.disease_term_label}` : "") +
              (m.frequency != null ? `, frequency ${(m.frequency * 100).toFixed(0)} %` : "") +
              (m.likelihood_ratio != null ? `, LR ${m.likelihood_ratio.toFixed(2)}` : "") +
              (m.similarity != null ? `, similarity ${m.similarity.toFixed(2)}` : "") }))))));
      btn.addEventListener("click", () => {
        const open = btn.getAttribute("aria-expanded") === "true";
        btn.setAttribute("aria-expanded", String(!open)); expl.hidden = open;
        btn.textContent = open ? "Explain" : "Hide";
      });
      tbody.append(row, expl);
    });
    const table = el("table", { id: "results-table" },
      el("caption", { class: "hint", text: "Candidate diseases, best first" }),
      el("thead", {}, el("tr", {}, ...["Rank", "Disease", "Posterior", "Genes", "Explanation"]
        .map((h) => el("th", { scope: "col", text: h })))), tbody);
    frag.push(table);
    resultsBody.replaceChildren(...frag);
  }

  async function rank() {
    showError("");
    const top = Math.max(1, Math.min(200, parseInt($("top").value, 10) || 20));
    const body = { hpo: chosen.filter((t) => !t.excluded).map((t) => t.id),
      excluded: chosen.filter((t) => t.excluded).map((t) => t.id), top };
    resultsBody.setAttribute("aria-busy", "true"); rankBtn.disabled = true;
    try {
      const res = await api("/v1/diagnoses", { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      renderResult(res);
    } catch (e) {
      showError(e.body && e.body.term ? `${e.message}` : `Ranking failed: ${e.message}`);
    } finally {
      resultsBody.setAttribute("aria-busy", "false"); renderChosen();
    }
  }
  rankBtn.addEventListener("click", rank);

  // ------------------------------------------------------------ VCF case
  const caseText = $("case-text"), caseProgress = $("case-progress");
  $("case-form").addEventListener("submit", async (ev) => {
    ev.preventDefault(); showError("");
    const token = $("token").value.trim(), file = $("vcf").files[0];
    if (!chosen.some((t) => !t.excluded)) { showError("Add at least one observed term first."); return; }
    const fd = new FormData();
    fd.append("vcf", file);
    fd.append("hpo", chosen.filter((t) => !t.excluded).map((t) => t.id).join(","));
    const exc = chosen.filter((t) => t.excluded).map((t) => t.id);
    if (exc.length) fd.append("excluded", exc.join(","));
    fd.append("genome_build", $("build").value);
    if ($("sample").value.trim()) fd.append("sample", $("sample").value.trim());
    const auth = { Authorization: `Bearer ${token}` };
    $("case-btn").disabled = true; caseText.textContent = "Uploading…";
    try {
      const c = await api("/v1/cases", { method: "POST", headers: auth, body: fd });
      caseProgress.hidden = false;
      await poll(c.id, auth);
    } catch (e) {
      caseText.textContent = ""; showError(`Case not submitted: ${e.message}`);
    } finally { $("case-btn").disabled = false; }
  });

  async function poll(id, auth) {
    for (;;) {
      const s = await api(`/v1/cases/${id}`, { headers: auth });
      caseProgress.value = s.progress;
      caseText.textContent = `Case ${id.slice(0, 8)}: ${s.status} (${Math.round(s.progress * 100)} %)`;
      if (s.status === "done") {
        renderResult(await api(`/v1/cases/${id}/result`, { headers: auth }));
        caseText.textContent = `Case ${id.slice(0, 8)}: done — results below.`;
        $("results").focus();
        return;
      }
      if (s.status === "failed") { caseText.textContent = `Case ${id.slice(0, 8)} failed: ${s.reason || "unknown reason"}`; return; }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  // ------------------------------------------------------------ init
  api("/readyz").then((r) => { $("hpo-version").textContent = (r.data_versions && r.data_versions.hpo) || "?"; })
    .catch(() => { $("hpo-version").textContent = "service not ready"; });
  renderChosen();
})();
