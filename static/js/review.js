// The reviewer's live 审核总分: the 审核得分 typed so far are sent to the form's preview endpoint
// (mode=review), which sums them on the server with the scoring rules (a blank line counts its
// self score); the sticky bar shows the answer. Nothing is saved.
(() => {
  const form = document.getElementById("evaluation-form");
  if (!form || !form.querySelector("input.w-review")) return;
  const url = form.dataset.preview;
  let timer = null;
  let sequence = 0;

  form.addEventListener("input", (event) => {
    if (event.target.matches("input.w-review")) schedule();
  });

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  }

  async function preview() {
    const mine = ++sequence;
    const body = new FormData(form);
    body.set("mode", "review");
    let data;
    try {
      const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) return;
      data = await response.json();
    } catch (error) {
      return; // the server checks everything again on 退回 / 审核通过
    }
    if (mine !== sequence) return;
    document.getElementById("bar-review").textContent = data.review_total ?? "—";
    document.getElementById("bar-review-grade").textContent =
      data.review_grade ? `（${data.review_grade}）` : "";
    for (const row of form.querySelectorAll("tr.res-row")) {
      const input = row.querySelector("input.w-review");
      const message = data.errors[input.name];
      input.classList.toggle("invalid", Boolean(message));
      input.title = message || "";
      const msg = form.querySelector(`tr.row-msg[data-for="${row.dataset.id}"]`);
      if (!msg) continue;
      msg.lastElementChild.replaceChildren(...(message ? [message] : []).map((text) => {
        const span = document.createElement("span");
        span.className = "err";
        span.textContent = text;
        return span;
      }));
      msg.hidden = !message;
      row.classList.toggle("has-problem", Boolean(message));
    }
  }

  // a page shown again after a refusal holds typed scores the stored total does not know yet
  if ([...form.querySelectorAll("input.w-review")].some((input) => input.value.trim())) preview();
})();
