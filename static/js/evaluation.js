// Live scoring of the self-evaluation form. The rules live on the server (scoring module): this
// script only sends what was typed to the preview endpoint and shows its answer. Scores that the
// clerk has not typed over follow the suggestion.
(() => {
  const form = document.getElementById("evaluation-form");
  if (!form) return;
  const url = form.dataset.preview;
  let timer = null;
  let sequence = 0;

  form.addEventListener("input", (event) => {
    if (event.target.matches("input.w-score")) event.target.dataset.auto = "";
    schedule();
  });
  form.addEventListener("change", schedule);

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  }

  async function preview() {
    const mine = ++sequence;
    const body = new FormData(form);
    // untouched scores are sent blank so that the server takes the suggestion
    for (const input of form.querySelectorAll("input.w-score[data-auto='1']")) body.set(input.name, "");
    let data;
    try {
      const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) return;
      data = await response.json();
    } catch (error) {
      return; // offline or timed out: the server checks everything again on save
    }
    if (mine !== sequence) return;
    show(data);
  }

  function text(id, value) {
    const el = document.getElementById(id);
    if (el) el.textContent = value;
  }

  function show(data) {
    // formatted by the server in the year's percent_places (core/formatting.py)
    text("execution-rate", data.execution_rate_shown);
    text("bar-rate", data.execution_rate_shown);
    text("execution-score", data.execution_score ?? "—");
    text("bar-total", data.total ?? "—");
    text("bar-grade", data.grade ?? "—");
    document.getElementById("execution-reason-box")
      .classList.toggle("required", Boolean(data.execution_reason_required));
    const flags = document.getElementById("flag-list");
    if (flags && data.flags) {
      flags.replaceChildren(...data.flags.map((flag) => {
        const item = document.createElement("li");
        const label = document.createElement("b");
        label.textContent = flag.label;
        item.append(label, flag.message);
        return item;
      }));
      document.getElementById("flags-box").hidden = data.flags.length === 0;
    }
    for (const [id, line] of Object.entries(data.lines)) {
      const row = form.querySelector(`tr.res-row[data-id="${id}"]`);
      if (!row) continue;
      row.querySelector(".suggested").textContent = line.suggested ?? "—";
      const score = row.querySelector("input.w-score");
      if (score && score.dataset.auto === "1") score.value = line.suggested ?? "";
      row.querySelector(".w-reason")?.classList.toggle("required", line.reason_required);
      const msg = form.querySelector(`tr.row-msg[data-for="${id}"]`);
      const cell = msg.lastElementChild;
      cell.replaceChildren(...line.problems.map((p) => {
        const span = document.createElement("span");
        span.className = "err";
        span.textContent = p;
        return span;
      }));
      msg.hidden = line.problems.length === 0;
      row.classList.toggle("has-problem", line.problems.length > 0);
    }
  }
})();
