// The indicator grid: add, reorder and remove rows without a reload; nothing typed is lost,
// because every row stays a form row until the server saves the whole grid.
(() => {
  const form = document.getElementById("target-form");
  if (!form) return;
  const body = document.getElementById("rows");
  const total = form.querySelector("input[name=rows-TOTAL_FORMS]");
  const template = document.getElementById("row-template");

  const rows = () => [...body.querySelectorAll("tr.ind-row")].filter((r) => !r.hidden);

  function renumber() {
    rows().forEach((row, i) => {
      row.querySelector("input[name$=-ORDER]").value = i + 1;
      row.querySelector(".row-no").textContent = i + 1;
    });
    sums();
  }

  function filterLevel2(row) {
    const level1 = row.querySelector("select.level1").value;
    const level2 = row.querySelector("select.level2");
    for (const option of level2.options) {
      const parent = option.dataset.parent;
      option.hidden = Boolean(parent) && parent !== level1;
    }
    const chosen = level2.selectedOptions[0];
    if (chosen && chosen.hidden) level2.value = "";
  }

  function sums() {
    const perLevel1 = new Map();
    let all = 0;
    for (const row of rows()) {
      const weight = parseFloat(row.querySelector("input.w-weight").value) || 0;
      const level1 = row.querySelector("select.level1");
      const name = level1.selectedOptions[0] ? level1.selectedOptions[0].text : "";
      if (level1.value) perLevel1.set(name, (perLevel1.get(name) || 0) + weight);
      all += weight;
    }
    document.getElementById("weight-total").textContent = all.toFixed(2);
    document.getElementById("weight-sums").textContent = [...perLevel1]
      .map(([name, w]) => `${name} ${w.toFixed(2)}`).join("，");
  }

  function messageRow(row) {
    const next = row.nextElementSibling;
    return next && next.classList.contains("row-msg") ? next : null;
  }

  document.getElementById("add-row").addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    const row = rows().at(-1);
    filterLevel2(row);
    renumber();
    row.querySelector("select.level1").focus();
  });

  body.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("tr.ind-row");
    const msg = messageRow(row);
    if (button.hasAttribute("data-remove")) {
      row.querySelector("input[name$=-DELETE]").checked = true;
      row.hidden = true;
      if (msg) msg.hidden = true;
    } else if (button.dataset.move === "up") {
      let prev = row.previousElementSibling;
      while (prev && (prev.hidden || prev.classList.contains("row-msg"))) prev = prev.previousElementSibling;
      if (prev) { prev.before(row); if (msg) row.after(msg); }
    } else if (button.dataset.move === "down") {
      let next = (msg || row).nextElementSibling;
      while (next && next.hidden) next = next.nextElementSibling;
      if (next) {
        const after = messageRow(next) || next;
        after.after(row);
        if (msg) row.after(msg);
      }
    }
    renumber();
  });

  body.addEventListener("change", (event) => {
    if (event.target.matches("select.level1")) filterLevel2(event.target.closest("tr"));
    sums();
  });
  body.addEventListener("input", (event) => {
    if (event.target.matches("input.w-weight")) sums();
  });

  rows().forEach(filterLevel2);
  renumber();
})();
