// triage web page: HPO autocomplete, term list, ranking table, VCF cases (genes, variants,
// ACMG evidence, treatments, re-ranking, history).
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
    rerankBtn.hidden = current === null;
    rerankBtn.disabled = !chosen.some((t) => !t.excluded);
  }

  $("clear-btn").addEventListener("click", () => { chosen.length = 0; renderChosen(); input.focus(); });

  // ------------------------------------------------------------ results
  function pct(p) { return p == null ? "–" : (p * 100 >= 0.1 ? (p * 100).toFixed(1) + " %" : "<0.1 %"); }

  // Treatments of a candidate (issue 13): one chip per product (tier 1) or kind (tier 2).
  // Never part of the score; the chip's title gives agency, year, pathway, status, restrictions.
  function therapyCell(therapies) {
    const ts = therapies || [];
    if (!ts.length) return el("span", { class: "none-txt", text: "–" });
    const byProduct = new Map();
    for (const t of ts) {
      const key = t.tier === 1 ? `${t.product}|${t.inn || ""}` : `${t.kind || t.modality}|${t.product}`;
      if (!byProduct.has(key)) byProduct.set(key, []);
      byProduct.get(key).push(t);
    }
    const chips = [];
    for (const group of byProduct.values()) {
      const t = group[0];
      if (t.tier === 1) {
        const where = group.map((g) => `${g.agency || "?"} ${(g.approved || "").slice(0, 4)}`.trim()).join(", ");
        const detail = group.map((g) => [g.agency, g.approved, g.pathway, g.status, g.restrictions]
          .filter(Boolean).join(" · ")).join("\n");
        const withdrawn = group.every((g) => g.status !== "approved");
        chips.push(el("li", { class: withdrawn ? "rx rx-off" : "rx", title: `${t.modality}\n${detail}` },
          el("span", { class: "rx-name", text: t.inn ? `${t.product} (${t.inn})` : t.product }),
          el("span", { class: "rx-meta", text: ` ${t.modality}; ${where}` +
            (withdrawn ? `; ${group[0].status}` : "") }),
          group.some((g) => g.restrictions) ? el("span", { class: "rx-restr", text: " · restricted" }) : null));
      } else {
        chips.push(el("li", { class: "rx rx2", title: t.source || "" },
          el("span", { class: "rx-name", text: t.kind || t.modality }), el("span", { class: "rx-meta", text: `: ${t.product}` })));
      }
    }
    return el("ul", { class: "rx-list", "aria-label": "Treatments" }, ...chips);
  }

  // Every treatment in full (agency, date, pathway, status, restrictions, source), for the
  // expanded row: the chips only summarise, and a title is not readable by keyboard users.
  function therapyDetails(therapies) {
    const ts = therapies || [];
    if (!ts.length) return null;
    return el("div", { class: "rx-details" }, el("p", { text: "Treatments (flag only, never part of the ranking):" }),
      el("ul", {}, ...ts.map((t) => el("li", { text: t.tier === 1
        ? [`${t.product}${t.inn ? ` (${t.inn})` : ""}`, t.modality, t.agency, t.approved, t.pathway, t.status,
          t.restrictions ? `restrictions: ${t.restrictions}` : null, `source: ${t.source}`].filter(Boolean).join(" · ")
        : [`${t.kind || t.modality}: ${t.product}`, `source: ${t.source}`].join(" · ") }))));
  }

  function matchList(matches) {
    return el("ul", {}, ...(matches || []).map((m) => el("li", {},
      el("span", { text: `${m.query_label} (${m.query_id})${m.excluded ? " [excluded]" : ""}: ` }),
      el("span", { class: "mt", text: m.match_type.replace(/_/g, " ") }),
      el("span", { text:
        (m.disease_term_label ? ` via ${m.disease_term_label}` : "") +
        (m.frequency != null ? `, frequency ${(m.frequency * 100).toFixed(0)} %` : "") +
        (m.likelihood_ratio != null ? `, LR ${m.likelihood_ratio.toFixed(2)}` : "") +
        (m.similarity != null ? `, similarity ${m.similarity.toFixed(2)}` : "") }))));
  }

  // A toggle button + a hidden detail row (aria-expanded / aria-controls).
  function toggler(rowId, closedText, openText, detailRow) {
    const btn = el("button", { type: "button", class: "explain-btn", "aria-expanded": "false",
      "aria-controls": rowId, text: closedText });
    btn.addEventListener("click", () => {
      const open = btn.getAttribute("aria-expanded") === "true";
      btn.setAttribute("aria-expanded", String(!open)); detailRow.hidden = open;
      btn.textContent = open ? closedText : openText;
    });
    return btn;
  }

  // Diseases, one entry per disease with all its ids (equivalent_ids), with treatments
  // and the term-by-term phenotype match.
  function diseaseTable(diseases, tableId, prefix, caption) {
    const tbody = el("tbody");
    diseases.forEach((d, i) => {
      const rowId = `${prefix}-${i}`;
      const bar = el("span", { class: "bar", "aria-hidden": "true" });
      bar.style.width = `${Math.max(1, Math.round((d.posterior || 0) * 80))}px`;
      const ids = [d.id, ...(d.equivalent_ids || [])];
      const expl = el("tr", { id: rowId, class: "explain", hidden: "" },
        el("td", { colspan: "6" },
          el("p", { text: (d.explanation && d.explanation.summary) || "No explanation." }),
          matchList(d.explanation && d.explanation.matches), therapyDetails(d.therapies)));
      const row = el("tr", {},
        el("td", { class: "num", text: String(d.rank) }),
        el("td", {}, el("div", { text: d.label }), el("div", { class: "did", text: ids.join(" · ") })),
        el("td", { class: "num" }, bar, el("span", { text: pct(d.posterior) })),
        el("td", { text: (d.genes || []).slice(0, 6).join(", ") + ((d.genes || []).length > 6 ? " …" : "") }),
        el("td", { class: "rx-cell" }, therapyCell(d.therapies)),
        el("td", {}, toggler(rowId, "Explain", "Hide", expl)));
      tbody.append(row, expl);
    });
    return el("table", { id: tableId, class: "diseases" },
      el("caption", { class: "hint", text: caption }),
      el("thead", {}, el("tr", {}, ...["Rank", "Disease (all ids)", "Posterior", "Genes", "Treatments", "Phenotype match"]
        .map((h) => el("th", { scope: "col", text: h })))), tbody);
  }

  function warningList(warnings) {
    if (!warnings || !warnings.length) return null;
    return el("ul", { class: "warnings", "aria-label": "Warnings" }, ...warnings.map((w) => el("li", { text: w.message })));
  }

  function renderResult(res) {
    const frag = [];
    const n = res.diseases.length;
    const treatable = res.diseases.filter((d) => (d.therapies || []).some((t) => t.tier === 1)).length;
    frag.push(el("p", { text: `${n} best of ${res.n_diseases_ranked} diseases ranked ` +
      `(scorer ${res.query.scorer}, HPO ${res.data_versions.hpo || "?"}).` +
      (treatable ? ` ${treatable} with an approved gene, cell or RNA-targeted therapy (flag only: never scored).` : "") }));
    frag.push(warningList(res.warnings));
    frag.push(diseaseTable(res.diseases, "results-table", "expl", "Candidate diseases, best first"));
    resultsBody.replaceChildren(...frag.filter(Boolean));
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
  const caseText = $("case-text"), caseProgress = $("case-progress"), caseView = $("case-view");
  const rerankBtn = $("rerank-btn");
  let current = null; // {id, auth} of the case shown

  function authHeaders() {
    const token = $("token").value.trim();
    return { Authorization: `Bearer ${token}` };
  }

  $("case-form").addEventListener("submit", async (ev) => {
    ev.preventDefault(); showError("");
    const file = $("vcf").files[0];
    if (!chosen.some((t) => !t.excluded)) { showError("Add at least one observed term first."); return; }
    const fd = new FormData();
    fd.append("vcf", file);
    fd.append("hpo", chosen.filter((t) => !t.excluded).map((t) => t.id).join(","));
    const exc = chosen.filter((t) => t.excluded).map((t) => t.id);
    if (exc.length) fd.append("excluded", exc.join(","));
    fd.append("genome_build", $("build").value);
    if ($("sample").value.trim()) fd.append("sample", $("sample").value.trim());
    const auth = authHeaders();
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
        caseProgress.hidden = true;
        await openCase(id, auth, s);
        caseText.textContent = `Case ${id.slice(0, 8)}: done — genes, variants and diseases below.`;
        caseView.focus();
        return;
      }
      if (s.status === "failed") { caseText.textContent = `Case ${id.slice(0, 8)} failed: ${s.reason || "unknown reason"}`; return; }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  // The case's terms become the chosen terms, so the clinician edits them and re-ranks.
  function loadTerms(res) {
    chosen.length = 0;
    for (const t of res.query.observed) chosen.push({ id: t.id, label: t.label, excluded: false });
    for (const t of res.query.excluded) chosen.push({ id: t.id, label: t.label, excluded: true });
    renderChosen();
  }

  async function openCase(id, auth, status) {
    caseView.setAttribute("aria-busy", "true");
    try {
      const [res, hist] = await Promise.all([
        api(`/v1/cases/${id}/result`, { headers: auth }),
        api(`/v1/cases/${id}/history`, { headers: auth })]);
      current = { id, auth, status };
      loadTerms(res);
      renderCase(res, hist, status);
    } finally { caseView.setAttribute("aria-busy", "false"); }
  }

  rerankBtn.addEventListener("click", async () => {
    if (!current) return;
    showError("");
    const body = { replace: true, hpo: chosen.filter((t) => !t.excluded).map((t) => t.id),
      excluded: chosen.filter((t) => t.excluded).map((t) => t.id) };
    rerankBtn.disabled = true; caseView.setAttribute("aria-busy", "true");
    caseText.textContent = `Case ${current.id.slice(0, 8)}: re-ranking…`;
    try {
      const res = await api(`/v1/cases/${current.id}/phenotypes`, { method: "PATCH",
        headers: { ...current.auth, "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const hist = await api(`/v1/cases/${current.id}/history`, { headers: current.auth });
      renderCase(res, hist, current.status);
      caseText.textContent = `Case ${current.id.slice(0, 8)}: re-ranked (ranking ${hist.rankings.length}).`;
      caseView.focus();
    } catch (e) {
      caseText.textContent = ""; showError(`Re-ranking failed: ${e.message}`);
    } finally { rerankBtn.disabled = false; caseView.setAttribute("aria-busy", "false"); renderChosen(); }
  });

  // Report and phenopacket need the bearer token, so they are fetched and saved as files
  // (a plain link cannot send the Authorization header; tokens never go into URLs).
  function downloadButton(label, path, filename, id) {
    return el("button", { type: "button", class: "secondary", id, text: label, onclick: async () => {
      showError("");
      try {
        const resp = await fetch(path, { headers: current.auth });
        if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
        const url = URL.createObjectURL(await resp.blob());
        const a = el("a", { href: url, download: filename });
        document.body.append(a); a.click(); a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      } catch (e) { showError(`Download failed: ${e.message}`); }
    } });
  }

  function fmtAf(v) {
    if (v.population_af == null) return "not known";
    const af = v.population_af;
    return af === 0 ? "0" : (af < 1e-3 ? af.toExponential(1) : af.toPrecision(2));
  }

  function acmgCell(a) {
    if (!a) return el("span", { class: "none-txt", text: "–" });
    const cls = a.classification.toLowerCase().replace(/\s+/g, "-");
    const na = Object.entries(a.not_assessed || {});
    return el("div", { class: "acmg-cell" },
      el("span", { class: `acmg acmg-${cls}`, text: a.classification }),
      el("span", { class: "did", text: ` ${a.points >= 0 ? "+" : ""}${a.points} pts` }),
      el("ul", { class: "crit", "aria-label": "ACMG criteria met" },
        ...(a.criteria.length ? a.criteria.map((c) => el("li", { class: `crit-${c.direction}`, title: c.reason, text: c.label }))
          : [el("li", { class: "none-txt", text: "no criterion met" })])),
      el("details", {}, el("summary", { text: "evidence" }),
        el("ul", {}, ...a.criteria.map((c) => el("li", {}, el("b", { text: c.label }), el("span", { text: `: ${c.reason}` }))),
          ...na.map(([k, v]) => el("li", { class: "did" }, el("b", { text: k }), el("span", { text: ` not assessed: ${v}` }))),
          ...(a.caveats || []).map((c) => el("li", { class: "did", text: c })),
          el("li", { class: "did", text: a.method }))));
  }

  function hgvsCell(v) {
    const tx = v.transcript ? `${v.transcript}:` : "";
    return el("div", {},
      el("div", { class: "hgvs" }, el("span", { class: "tx", text: tx }), el("wbr"),
        el("span", { class: "hc", text: v.hgvs_c || "–" })),
      v.hgvs_p ? el("div", { class: "hgvs", text: v.hgvs_p }) : null);
  }

  const SHOWN_VARIANTS = 3;

  function variantTable(g) {
    const rows = g.variants.map((v, j) => el("tr", j >= SHOWN_VARIANTS ? { class: "more", hidden: "" } : {},
      el("td", { class: "pos", text: `${v.chrom}:${v.pos} ${v.ref}>${v.alt}` }),
      el("td", {}, hgvsCell(v)),
      el("td", { text: (v.consequence || "–").replace(/_/g, " ").replace(/&/g, ", ") }),
      el("td", { text: `${v.zygosity || "–"}${v.genotype ? ` (${v.genotype})` : ""}` }),
      el("td", { text: (v.inheritance_modes || []).map((m) => m.replace(/_/g, " ")).join(", ") || "–" }),
      el("td", {}, acmgCell(v.acmg)),
      el("td", { class: "num", text: fmtAf(v) }),
      el("td", { text: v.clinvar || "–" })));
    const table = el("table", { class: "variants", "aria-label": `Variants in ${g.symbol}` },
      el("thead", {}, el("tr", {}, ...["Variant", "HGVS", "Consequence", "Zygosity", "Inheritance",
        "ACMG/AMP (automated, provisional)", "Pop. freq.", "ClinVar"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows));
    if (rows.length <= SHOWN_VARIANTS) return table;
    const more = el("button", { type: "button", class: "explain-btn more-btn", "aria-expanded": "false",
      text: `Show all ${rows.length} variants` });
    more.addEventListener("click", () => {
      const open = more.getAttribute("aria-expanded") === "true";
      rows.slice(SHOWN_VARIANTS).forEach((r) => { r.hidden = open; });
      more.setAttribute("aria-expanded", String(!open));
      more.textContent = open ? `Show all ${rows.length} variants` : `Show the best ${SHOWN_VARIANTS} only`;
    });
    return el("div", {}, table, more);
  }

  function geneTable(res) {
    const tbody = el("tbody");
    const labels = new Map(res.diseases.map((d) => [d.id, d.label]));
    res.genes.forEach((g, i) => {
      const rowId = `gvar-${i}`;
      const flags = [];
      if (g.novel) flags.push(el("span", { class: `flag flag-novel`, title: g.novel.message,
        text: g.novel.kind === "novel_gene" ? "novel gene hypothesis" : "novel disease hypothesis" }));
      const nv = g.variants.length;
      const detail = el("tr", { id: rowId, class: "explain gene-detail" },
        el("td", { colspan: "7" },
          g.novel ? el("p", { class: "novel-msg", text: g.novel.message }) : null,
          therapyDetails(g.therapies),
          nv ? variantTable(g) : el("p", { class: "hint", text: "No candidate variant in this gene: phenotype evidence only " +
            "(genotype score = the background expectation of no qualifying variant)." }),
          g.explanation && g.explanation.matches && g.explanation.matches.length
            ? el("details", {}, el("summary", { text: `Phenotype match of ${g.symbol}: ${g.explanation.summary || ""}` }),
              matchList(g.explanation.matches)) : null));
      const open = i < 3 && nv > 0; // the best genes' variants are shown at once
      detail.hidden = !open;
      const btn = toggler(rowId, nv ? `Variants (${nv})` : "Details", "Hide", detail);
      if (open) { btn.setAttribute("aria-expanded", "true"); btn.textContent = "Hide"; }
      const bar = el("span", { class: "bar", "aria-hidden": "true" });
      bar.style.width = `${Math.max(1, Math.round((g.posterior || 0) * 80))}px`;
      const best = g.top_disease ? `${g.top_disease_label || labels.get(g.top_disease) || ""} (${g.top_disease})` : "–";
      tbody.append(el("tr", { class: "gene-row", "data-gene": g.symbol },
        el("td", { class: "num", text: String(g.rank) }),
        el("td", {}, el("div", { class: "sym", text: g.symbol }), el("div", { class: "did", text: g.ncbi_gene_id || "" }), ...flags),
        el("td", { class: "num" }, bar, el("span", { text: pct(g.posterior) })),
        el("td", { class: "num", text: `${g.phenotype_score != null ? g.phenotype_score.toFixed(1) : "–"} / ` +
          `${g.genotype_score != null ? g.genotype_score.toFixed(2) : "–"}` + (nv ? "" : " (no variant)") }),
        el("td", { text: best }),
        el("td", { class: "rx-cell" }, therapyCell(g.therapies)),
        el("td", {}, btn)), detail);
    });
    return el("table", { id: "genes-table" },
      el("caption", { class: "hint", text: "Candidate genes, best first, with their candidate variants" }),
      el("thead", {}, el("tr", {}, ...["Rank", "Gene", "Posterior", "Phenotype / genotype log10 LR", "Best disease",
        "Treatments", "Variants"].map((h) => el("th", { scope: "col", text: h })))), tbody);
  }

  function fmtTime(t) { return new Date(t * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC"; }

  function historyTable(hist) {
    const n = hist.rankings.length;
    const rows = hist.rankings.slice().reverse().map((r) => el("tr", { class: r.version === n ? "current" : "" },
      el("td", { class: "num", text: String(r.version) + (r.version === n ? " (current)" : "") }),
      el("td", { text: fmtTime(r.created_at) }),
      el("td", { text: r.trigger === "initial" ? "initial ranking" : "terms changed" }),
      el("td", {}, el("div", { text: `${r.observed.length} observed: ${r.observed.join(", ")}` }),
        r.excluded.length ? el("div", { class: "did", text: `${r.excluded.length} excluded: ${r.excluded.join(", ")}` }) : null),
      el("td", { text: (r.top_genes || []).slice(0, 3).map((g) => `${g.symbol} ${pct(g.posterior)}`).join(", ") || "–" }),
      el("td", { text: r.top_diseases.slice(0, 2).map((d) => `${d.label} (${d.id}) ${pct(d.posterior)}`).join("; ") })));
    return el("table", { id: "history-table" },
      el("caption", { class: "hint", text: "Rankings of this case, newest first" }),
      el("thead", {}, el("tr", {}, ...["Ranking", "When", "Why", "Terms", "Top genes", "Top diseases"]
        .map((h) => el("th", { scope: "col", text: h })))), el("tbody", {}, ...rows));
  }

  function renderCase(res, hist, status) {
    const c = res.case || {};
    const counts = c.counts || {};
    const id = current.id;
    const facts = [`sample ${c.sample || "?"}`, c.genome_build || status.genome_build,
      counts.records != null ? `${counts.records.toLocaleString("en")} VCF records` : null,
      counts.variants_annotated != null ? `${counts.variants_annotated.toLocaleString("en")} variants annotated` : null,
      `ranking ${hist.rankings.length}`, `created ${res.created ? res.created.replace("T", " ").slice(0, 19) : "?"}`]
      .filter(Boolean).join(" · ");
    const obs = res.query.observed.map((t) => t.label).join(", ");
    const exc = res.query.excluded.map((t) => t.label).join(", ");
    const dv = Object.entries(res.data_versions || {}).map(([k, v]) => `${k} ${v}`).join("; ");
    const treatable = res.genes.filter((g) => (g.therapies || []).some((t) => t.tier === 1)).map((g) => g.symbol);
    caseView.replaceChildren(...[
      el("h3", { id: "case-title", text: `Case ${id.slice(0, 8)}` }),
      el("p", { class: "facts", text: facts }),
      el("div", { class: "actions" },
        downloadButton("Download HTML report", `/v1/cases/${id}/report`, `triage-${id.slice(0, 8)}.report.html`, "report-btn"),
        downloadButton("Download phenopacket", `/v1/cases/${id}/phenopacket`, `triage-${id.slice(0, 8)}.phenopacket.json`, "pp-btn"),
        downloadButton("Download JSON result", `/v1/cases/${id}/result`, `triage-${id.slice(0, 8)}.result.json`, "json-btn")),
      el("p", { class: "hint", text: "Automated decision support for clinical review: candidates and ACMG/AMP " +
        "classes are provisional and must be checked before use." }),
      treatable.length ? el("p", { class: "treatable-note", text: `Treatable among the top genes: ${treatable.join(", ")} ` +
        "(approved gene, cell or RNA-targeted therapy; a flag only, never part of the ranking)." }) : null,
      warningList(res.warnings),
      el("h4", { text: "Genes and variants" }),
      geneTable(res),
      el("h4", { text: "Diseases" }),
      diseaseTable(res.diseases, "case-diseases", "cexpl", "Candidate diseases, best first (one entry per disease)"),
      el("h4", { text: "Phenotype" }),
      el("p", { id: "case-terms", text: `Observed (${res.query.observed.length}): ${obs || "none"}.` +
        (exc ? ` Excluded (${res.query.excluded.length}): ${exc}.` : "") }),
      el("p", { class: "hint", text: "These terms are loaded in the term list above: change them and press Re-rank case." }),
      el("h4", { text: "History" }),
      historyTable(hist),
      el("p", { class: "did", text: `Data: ${dv}` })].filter(Boolean));
    renderChosen();
  }

  // This token's cases: reopen a finished case (result, history, re-ranking).
  $("cases-btn").addEventListener("click", async () => {
    showError("");
    const auth = authHeaders();
    try {
      const data = await api("/v1/cases?limit=50", { headers: auth });
      const box = $("case-list");
      if (!data.cases.length) { box.replaceChildren(el("p", { class: "hint", text: "No cases for this token." })); return; }
      box.replaceChildren(el("table", { id: "cases-table" },
        el("thead", {}, el("tr", {}, ...["Case", "Submitted", "Status", "Terms", ""].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...data.cases.map((c) => el("tr", {},
          el("td", { class: "pos", text: c.id.slice(0, 8) }), el("td", { text: fmtTime(c.created_at) }),
          el("td", { text: c.status + (c.reason ? `: ${c.reason}` : "") }),
          el("td", { class: "num", text: `${c.n_observed} / ${c.n_excluded}` }),
          el("td", {}, c.status === "done" ? el("button", { type: "button", class: "secondary", text: "Open",
            onclick: async () => { try { await openCase(c.id, auth, c); caseText.textContent = `Case ${c.id.slice(0, 8)}: opened.`; caseView.focus(); }
              catch (e) { showError(`Case not opened: ${e.message}`); } } }) : null))))));
    } catch (e) { showError(`Cases not listed: ${e.message}`); }
  });

  // ------------------------------------------------------------ treatable-condition screen
  const screenText = $("screen-text"), screenView = $("screen-view");

  $("screen-form").addEventListener("submit", async (ev) => {
    ev.preventDefault(); showError("");
    const fd = new FormData();
    fd.append("vcf", $("screen-vcf").files[0]);
    if ($("screen-ped").files[0]) fd.append("ped", $("screen-ped").files[0]);
    if ($("screen-build").value) fd.append("genome_build", $("screen-build").value);
    if ($("screen-sex").value) fd.append("sex", $("screen-sex").value);
    if ($("screen-sample").value.trim()) fd.append("sample", $("screen-sample").value.trim());
    const auth = authHeaders();
    $("screen-btn").disabled = true; screenText.textContent = "Uploading…"; screenView.replaceChildren();
    try {
      const job = await api("/v1/screen", { method: "POST", headers: auth, body: fd });
      for (;;) {
        const s = await api(`/v1/screen/${job.id}`, { headers: auth });
        screenText.textContent = `Screen ${job.id.slice(0, 8)}: ${s.status} (${Math.round(s.progress * 100)} %)`;
        if (s.status === "done") break;
        if (s.status === "failed") { screenText.textContent = `Screen ${job.id.slice(0, 8)} failed: ${s.reason || "unknown reason"}`; return; }
        await new Promise((r) => setTimeout(r, 1000));
      }
      const res = await api(`/v1/screen/${job.id}/result`, { headers: auth });
      renderScreen(res);
      screenText.textContent = `Screen ${job.id.slice(0, 8)}: done — ${res.findings.length} positive finding(s), ` +
        `${res.carriers.length} carrier finding(s).`;
    } catch (e) {
      screenText.textContent = ""; showError(`Screen not run: ${e.message}`);
    } finally { $("screen-btn").disabled = false; }
  });

  function findingTable(items, id, caption) {
    return el("table", { id, class: "findings" }, el("caption", { class: "hint", text: caption }),
      el("thead", {}, el("tr", {}, ...["Gene", "Condition", "Inheritance", "Genotype", "Variants and evidence", "Treatments"]
        .map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...items.map((f) => el("tr", {},
        el("td", { class: "sym", text: f.gene }),
        el("td", {}, el("div", { text: f.condition_name }), el("div", { class: "did", text: f.condition_ids.join(" · ") })),
        el("td", { text: f.inheritance }),
        el("td", { text: f.genotype }),
        el("td", {}, ...f.variants.map((v) => el("div", { class: "sv" },
          el("div", { class: "pos", text: `${v.chrom}:${v.pos} ${v.ref}>${v.alt} (${v.zygosity || v.genotype || "?"})` }),
          el("div", { class: "hgvs", text: `${v.transcript ? v.transcript + ":" : ""}${v.hgvs_c || ""}${v.hgvs_p ? " " + v.hgvs_p : ""}` }),
          el("div", { class: "did", text: `${(v.consequence || "").replace(/_/g, " ")}; ${v.evidence.join("; ")}` }))),
          ...f.notes.map((n) => el("div", { class: "did", text: n }))),
        el("td", { class: "rx-cell" }, therapyCell(f.therapies))))));
  }

  function renderScreen(res) {
    const sex = res.sex_source && res.sex_source.includes(res.sex) ? res.sex_source : `${res.sex} (${res.sex_source})`;
    const head = `sample ${res.sample || "?"} · ${res.build || "?"} · sex ${sex} · ` +
      `${res.genes_screened} genes of ${res.conditions_screened} treatable conditions screened · ` +
      `ClinVar ${res.clinvar ? "yes" : "no"} · population frequency ${res.population_frequency ? "yes" : "no"}`;
    screenView.replaceChildren(...[
      el("p", { class: "facts", text: head }),
      warningList(res.warnings.filter((w) => w.code !== "annotation_note")),
      res.findings.length ? findingTable(res.findings, "findings-table", "Positive findings")
        : el("p", { text: "No positive finding." }),
      res.carriers.length ? el("details", {}, el("summary", { text: `Carrier findings (${res.carriers.length})` }),
        findingTable(res.carriers, "carriers-table", "Carriers: one allele of a recessive condition")) : null,
    ].filter(Boolean));
  }

  // ------------------------------------------------------------ init
  api("/readyz").then((r) => { $("hpo-version").textContent = (r.data_versions && r.data_versions.hpo) || "?"; })
    .catch(() => { $("hpo-version").textContent = "service not ready"; });
  renderChosen();
})();
