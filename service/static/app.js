// citeqa's page: ask a question, read the cited passages, list and manage the reports.
// No framework; every text from the service goes into the page as text (textContent), never as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = "citeqa-admin-token";
  const K = 5;
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  let languages = {}; // report id -> language, to mark passages with their language
  let reports = [];
  let lastAsked = 0;

  // An element with attributes and children (strings become text nodes).
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children.filter((child) => child !== null && child !== undefined && child !== ""));
    return node;
  }

  const hidden = (text) => el("span", { class: "visually-hidden" }, text);

  // The API's error detail as a sentence: a string, or FastAPI's list of {loc, msg}.
  function describe(detail) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((item) => {
        const where = (item.loc || []).filter((part) => part !== "body" && part !== "query").join(" › ");
        return where ? `${where}: ${item.msg}` : item.msg;
      }).join("; ");
    }
    return "";
  }

  function parse(text) {
    try { return JSON.parse(text); } catch { return null; }
  }

  async function errorOf(response) {
    const body = parse(await response.text());
    return describe(body && body.detail) || `${response.status} ${response.statusText}`.trim();
  }

  function say(id, text) {
    $(id).textContent = text;
  }

  function questionError(message) {
    say("ask-error", message);
    $("q").setAttribute("aria-invalid", message ? "true" : "false");
  }

  // ---- filters: which reports, which years ---------------------------------------------------

  const YEAR_FIELDS = ["year-from", "year-to"];

  function filterError(message, id) {
    say("ask-error", message);
    $(id).setAttribute("aria-invalid", "true");
    $(id).focus();
  }

  function year(id) {
    const input = $(id);
    const text = input.value.trim();
    if (!text && !input.validity.badInput) return { value: null };
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1000 || value > 9999) return { error: true };
    return { value };
  }

  // The filters the controls give: what to send, and a sentence saying what they keep (null: none);
  // or an error, shown and focused.
  function currentFilters() {
    for (const id of ["filter-reports", ...YEAR_FIELDS]) $(id).removeAttribute("aria-invalid");
    const body = {};
    const parts = [];
    const options = Array.from($("filter-reports").options);
    const picked = options.filter((option) => option.selected);
    if (options.length && !picked.length) {
      filterError("Pick at least one report to search (or “Select all reports”).", "filter-reports");
      return null;
    }
    if (picked.length < options.length) {
      body.documents = picked.map((option) => option.value);
      const titles = picked.map((option) => `“${option.dataset.title}”`).join(", ");
      parts.push(`${picked.length} of ${options.length} reports (${titles})`);
    }
    const from = year("year-from");
    const to = year("year-to");
    for (const [found, id, name] of [[from, "year-from", "From year"], [to, "year-to", "To year"]]) {
      if (found.error) {
        filterError(`${name}: type a year of four digits, e.g. 2018, or leave it empty.`, id);
        return null;
      }
    }
    if (from.value !== null && to.value !== null && from.value > to.value) {
      filterError(`The years run backwards: from ${from.value} to ${to.value}. Put the earlier year first.`, "year-to");
      return null;
    }
    if (from.value !== null) body.year_from = from.value;
    if (to.value !== null) body.year_to = to.value;
    if (from.value !== null && to.value !== null) {
      parts.push(from.value === to.value ? `reports of ${from.value}` : `reports of ${from.value} to ${to.value}`);
    } else if (from.value !== null) {
      parts.push(`reports of ${from.value} or later`);
    } else if (to.value !== null) {
      parts.push(`reports of ${to.value} or earlier`);
    }
    return { body, note: parts.length ? `Searched only in ${parts.join("; ")}.` : null };
  }

  // The report picker: one option a report, all selected at first; a reload keeps what was picked
  // (a new report is selected when every report was).
  function renderPicker() {
    const select = $("filter-reports");
    const before = Array.from(select.options);
    const all = before.every((option) => option.selected);
    const picked = new Set(before.filter((option) => option.selected).map((option) => option.value));
    select.replaceChildren(...reports.map((report) => {
      const facts = [report.year, report.language].filter(Boolean).join(", ");
      const option = el("option", { value: report.id, lang: report.language, "data-title": report.title },
        facts ? `${report.title} (${facts})` : report.title);
      option.selected = all || picked.has(report.id);
      return option;
    }));
    select.size = Math.max(2, Math.min(reports.length, 6));
  }

  function selectAllReports() {
    for (const option of $("filter-reports").options) option.selected = true;
    $("filter-reports").removeAttribute("aria-invalid");
  }

  // ---- asking ----------------------------------------------------------------------------------

  async function ask(question, remember = true) {
    const asked = ++lastAsked;
    questionError("");
    if (!question.trim()) {
      questionError("Type a question first, e.g. “who spoke about child protection”.");
      $("q").focus();
      return;
    }
    const filters = currentFilters();
    if (!filters) return;
    if (remember) rememberQuestion(question);
    const asking = { question, k: K, ...filters.body };
    showDownloads(null);
    const answer = $("answer");
    answer.hidden = false;
    answer.setAttribute("aria-busy", "true");
    say("status", "Searching the reports…");
    $("filter-note").hidden = !filters.note; // what this answer was searched in
    $("filter-note").textContent = filters.note || "";
    let response;
    try {
      response = await fetch("/search", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(asking),
      });
    } catch (error) {
      if (asked === lastAsked) failed(`Could not reach the service: ${error.message}`);
      return;
    }
    if (asked !== lastAsked) return;
    if (!response.ok) {
      failed(`The question was refused (${response.status}): ${await errorOf(response)}`);
      return;
    }
    const result = await response.json();
    if (asked !== lastAsked) return;
    answer.removeAttribute("aria-busy");
    render(result);
    showDownloads(asking);
  }

  // The answer just shown as a file (GET /search/export): the same question, k and filters, as a query.
  function exportUrl(asking, format) {
    const params = new URLSearchParams({ q: asking.question, k: String(asking.k) });
    for (const id of asking.documents || []) params.append("documents", id);
    for (const name of ["year_from", "year_to"]) {
      if (asking[name] !== undefined) params.set(name, String(asking[name]));
    }
    params.set("format", format);
    return `/search/export?${params}`;
  }

  // The download links under the answer (hidden while there is none: null).
  function showDownloads(asking) {
    $("downloads").hidden = !asking;
    for (const format of ["markdown", "csv"]) {
      const link = $(`download-${format}`);
      if (asking) link.href = exportUrl(asking, format);
      else link.removeAttribute("href");
    }
  }

  function failed(message) {
    showDownloads(null);
    $("answer").removeAttribute("aria-busy");
    $("answer").hidden = true;
    $("results").replaceChildren();
    say("status", "");
    questionError(message);
  }

  function rememberQuestion(question) {
    const url = new URL(window.location.href);
    if (url.searchParams.get("q") === question) return;
    url.searchParams.set("q", question);
    history.pushState({ q: question }, "", url);
  }

  function render(result) {
    const passages = result.passages || [];
    const results = $("results");
    if (!result.answerable) {
      say("status", `The answer is not in the reports (${passages.length} weak passages shown folded).`);
      results.replaceChildren(el("div", { class: "abstain" },
        el("h3", {}, "The answer is not in the reports"),
        el("p", {}, result.reason || "Nothing in the reports answers this question."),
        passages.length ? el("details", {},
          el("summary", {}, `Nearest passages, not an answer (${passages.length})`),
          passageList(passages)) : null));
      return;
    }
    const speakers = result.speakers || [];
    const who = speakers.length ? `; speakers: ${speakers.map((s) => s.name).join(", ")}` : "";
    say("status", `${passages.length} passage${passages.length === 1 ? "" : "s"} found in ${Math.round(result.took_ms)} ms${who}.`);
    const parts = [];
    if (speakers.length) {
      parts.push(el("h3", { id: "speakers-title" }, "Who spoke"),
        el("ul", { class: "chips", "aria-labelledby": "speakers-title" },
          ...speakers.map((speaker) => speakerChip(speaker, passages))));
    }
    const translations = Object.entries(result.translations || {});
    if (translations.length) {
      parts.push(el("p", { class: "translations" }, "Also searched ",
        ...translations.flatMap(([language, text], i) => [i ? "; " : "", `in ${languageName(language)} as: `,
          el("q", { lang: language }, text)]), "."));
    }
    parts.push(el("h3", { id: "passages-title" }, "Passages"), passages.length ? passageList(passages)
      : el("p", {}, "No passage found."));
    results.replaceChildren(...parts);
  }

  // A language's name in English ("fr" -> "French"), or its code where the browser has no name for it.
  function languageName(code) {
    try {
      return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code;
    } catch (error) {
      return code;
    }
  }

  // A speaker's chip: name, role and organisation, and the reports where they say it when the answer
  // draws on several reports.
  function speakerChip(speaker, passages) {
    const about = [speaker.role, speaker.organisation].filter(Boolean).join(", ");
    const first = (speaker.passages || [])[0];
    const titles = new Map(passages.map((p) => [p.document_id, p.title]));
    const reports = titles.size > 1 ? (speaker.documents || []).map((id) => titles.get(id) || id) : [];
    const chip = el("button", { type: "button", class: "chip" },
      el("span", { class: "chip-name" }, speaker.name),
      about ? el("span", { class: "chip-about" }, about) : null,
      reports.length ? el("span", { class: "chip-report" }, reports.join(" · ")) : null,
      first ? hidden(` — go to passage ${first}`) : null);
    chip.addEventListener("click", () => {
      const target = $(`passage-${first}`);
      if (!target) return;
      target.scrollIntoView({ behavior: reduceMotion ? "auto" : "smooth", block: "start" });
      target.focus({ preventScroll: true });
    });
    return el("li", {}, chip);
  }

  function passageList(passages) {
    return el("ol", { class: "passages" }, ...passages.map((passage) => el("li", {}, passageCard(passage))));
  }

  function passageCard(passage) {
    const speakers = (passage.speakers || []).map((s) => (s.organisation ? `${s.name} (${s.organisation})` : s.name));
    const meta = [`page ${passage.page}`, `score ${passage.score.toFixed(3)}`];
    if (speakers.length) meta.push(speakers.join(", "));
    const view = passage.url;  // the page as printed (a PDF report) or the report's text, the passage marked
    const seeWhat = view.includes("/pages/") ? `see on page ${passage.page}` : "see in the report";
    return el("article", { class: passage.weak ? "passage weak" : "passage", id: `passage-${passage.rank}`,
      tabindex: "-1", "aria-labelledby": `passage-${passage.rank}-title` },
    el("h4", { id: `passage-${passage.rank}-title` }, el("span", { class: "rank" }, `${passage.rank}. `), passage.title),
    el("p", { class: "meta" }, meta.join(" · ")),
    quote(passage),
    el("p", { class: "see" }, el("a", { href: view }, seeWhat, hidden(` (passage ${passage.rank}, page ${passage.page})`))));
  }

  // The passage text with its best sentence in <mark>. Offsets count Unicode code points (Python's),
  // so the text is cut as an array of code points, not of UTF-16 units.
  function quote(passage) {
    const node = el("blockquote", { class: "text", lang: languages[passage.document_id] });
    const chars = Array.from(passage.text);
    const highlight = passage.highlight;
    if (highlight) {
      const from = Math.max(0, Math.min(chars.length, highlight.start - passage.start));
      const to = Math.max(from, Math.min(chars.length, highlight.end - passage.start));
      if (to > from) {
        node.append(chars.slice(0, from).join(""), el("mark", {}, chars.slice(from, to).join("")), chars.slice(to).join(""));
        return node;
      }
    }
    node.textContent = passage.text;
    return node;
  }

  // ---- reports -------------------------------------------------------------------------------

  async function loadReports() {
    say("reports-error", "");
    try {
      const response = await fetch("/documents", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(await errorOf(response));
      reports = await response.json();
    } catch (error) {
      say("reports-error", `Could not list the reports: ${error.message}`);
      return;
    }
    languages = Object.fromEntries(reports.map((report) => [report.id, report.language]));
    renderReports();
    renderPicker();
  }

  function renderReports() {
    const admin = Boolean(token());
    const items = reports.map((report) => {
      const facts = [report.language, `${report.pages} page${report.pages === 1 ? "" : "s"}`,
        `${report.chunks} passage${report.chunks === 1 ? "" : "s"}`, report.year, report.publisher].filter(Boolean);
      let remove = null;
      if (admin) {
        remove = el("button", { type: "button", class: "danger" }, "Remove", hidden(` “${report.title}”`));
        remove.addEventListener("click", () => removeReport(report));
      }
      return el("li", { "data-id": report.id },
        el("div", { class: "report-about" },
          el("span", { class: "report-title", lang: report.language }, report.title),
          el("span", { class: "meta" }, facts.join(" · "), " · ", el("code", {}, report.id))),
        remove);
    });
    $("reports").replaceChildren(...(items.length ? items : [el("li", {}, "No report in the index yet.")]));
  }

  async function removeReport(report) {
    say("reports-error", "");
    say("reports-status", "");
    if (!window.confirm(`Remove the report “${report.title}” (${report.id}) from the index?\nIts file is removed from the corpus too.`)) return;
    say("reports-status", `Removing “${report.title}”…`);
    let response;
    try {
      response = await fetch(`/documents/${encodeURIComponent(report.id)}`, {
        method: "DELETE", headers: { Authorization: `Bearer ${token()}`, Accept: "application/json" },
      });
    } catch (error) {
      say("reports-status", "");
      say("reports-error", `Could not reach the service: ${error.message}`);
      return;
    }
    if (response.status !== 202) {
      say("reports-status", "");
      say("reports-error", `Removal refused (${response.status}): ${await errorOf(response)}`);
      return;
    }
    const job = await finishedJob(await response.json());
    if (job.state !== "done") {
      say("reports-status", "");
      say("reports-error", `Removal refused (${job.error.status}): ${describe(job.error.detail)}`);
      return;
    }
    say("reports-status", `Removed “${report.title}”. ${job.result.summary || ""}`.trim());
    await loadReports();
    $("reports-title").focus();
  }

  // ---- admin: token, jobs and upload ---------------------------------------------------------

  // Changes of the index are queued jobs: follow one until it is done or failed.
  async function finishedJob(job) {
    while (job.state === "queued" || job.state === "running") {
      await new Promise((resolve) => setTimeout(resolve, 400));
      try {
        const response = await fetch(`/jobs/${encodeURIComponent(job.id)}`, {
          headers: { Authorization: `Bearer ${token()}`, Accept: "application/json" },
        });
        if (response.ok) job = await response.json();
        else return { state: "failed", error: { status: response.status, detail: await errorOf(response) } };
      } catch (error) {
        return { state: "failed", error: { status: 0, detail: `the service could not be reached (${error.message})` } };
      }
    }
    return job;
  }

  function token() {
    return $("token").value.trim();
  }

  function setBusy(busy, step = "") {
    $("upload-progress").hidden = !busy;
    $("upload").setAttribute("aria-busy", busy ? "true" : "false");
    say("upload-step", step);
  }

  function upload(event) {
    event.preventDefault();
    say("admin-error", "");
    say("admin-status", "");
    if ($("upload").getAttribute("aria-busy") === "true") return;
    if (!token()) {
      say("admin-error", "Enter the admin token first.");
      $("token").focus();
      return;
    }
    const file = $("file").files[0];
    if (!file) {
      say("admin-error", "Choose a report file (.pdf, .txt or .md).");
      $("file").focus();
      return;
    }
    const data = new FormData();
    data.append("file", file);
    const title = $("title").value.trim();
    const language = $("language").value.trim().toLowerCase();
    if (title) data.append("title", title);
    if (language) data.append("language", language);
    if ($("replace").checked) data.append("replace", "true");

    const bar = $("upload-bar");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/documents");
    xhr.setRequestHeader("Authorization", `Bearer ${token()}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (progress) => {
      if (!progress.lengthComputable) return;
      bar.value = Math.round((100 * progress.loaded) / progress.total);
      say("upload-step", `Uploading ${file.name}: ${bar.value}%`);
    });
    xhr.upload.addEventListener("load", () => {
      bar.removeAttribute("value"); // indeterminate: the service is reading and indexing the report
      say("upload-step", `Indexing ${file.name}…`);
    });
    xhr.addEventListener("load", async () => {
      const accepted = parse(xhr.responseText);
      if (xhr.status !== 202) {
        setBusy(false);
        const detail = describe(accepted && accepted.detail) || `${xhr.status} ${xhr.statusText}`.trim();
        say("admin-error", `Upload refused (${xhr.status}): ${detail}`);
        return;
      }
      say("upload-step", `Indexing ${file.name} (queued)…`);
      const job = await finishedJob(accepted);
      setBusy(false);
      if (job.state !== "done") {
        say("admin-error", `Upload refused (${job.error.status}): ${describe(job.error.detail)}`);
        return;
      }
      const body = job.result;
      const done = { added: "added", replaced: "replaced", unchanged: "already indexed, unchanged" }[body.status] || body.status;
      say("admin-status", `Report “${body.id}” ${done}: ${body.chunks} passage${body.chunks === 1 ? "" : "s"}. ${body.summary || ""}`.trim());
      $("upload").reset();
      loadReports();
    });
    xhr.addEventListener("error", () => {
      setBusy(false);
      say("admin-error", "The upload failed: the service could not be reached.");
    });
    bar.value = 0;
    setBusy(true, `Uploading ${file.name}…`);
    xhr.send(data);
  }

  // ---- wiring --------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    const input = $("q");
    $("ask").addEventListener("submit", (event) => {
      event.preventDefault();
      ask(input.value);
    });
    window.addEventListener("popstate", () => {
      const question = new URL(window.location.href).searchParams.get("q") || "";
      input.value = question;
      if (question) ask(question, false);
    });
    // "/" anywhere outside a field goes to the question box.
    document.addEventListener("keydown", (event) => {
      const typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
      if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        input.focus();
        input.select();
      }
    });

    const saved = sessionStorage.getItem(TOKEN_KEY) || "";
    $("token").value = saved;
    if (saved) $("admin").open = true;
    $("token").addEventListener("input", () => {
      if (token()) sessionStorage.setItem(TOKEN_KEY, token());
      else sessionStorage.removeItem(TOKEN_KEY);
      renderReports();
    });
    $("upload").addEventListener("submit", upload);
    $("filter-all").addEventListener("click", selectAllReports);
    $("filter-reports").addEventListener("change", () => $("filter-reports").removeAttribute("aria-invalid"));
    for (const id of YEAR_FIELDS) $(id).addEventListener("input", () => $(id).removeAttribute("aria-invalid"));

    input.focus();
    loadReports().then(() => {
      const question = new URL(window.location.href).searchParams.get("q");
      if (question) {
        input.value = question;
        ask(question, false);
      }
    });
  });
})();
