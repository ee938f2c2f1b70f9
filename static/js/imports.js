// Import progress: while the job is being checked or imported, follow its status and reload
// the page once it has finished (the page then shows the preview or the result).
(() => {
  const box = document.getElementById("import-status");
  if (!box) return;
  const bar = box.querySelector(".bar");
  if (bar) bar.style.width = (bar.dataset.progress || 0) + "%";
  const running = ["queued", "previewing", "importing"];
  if (!running.includes(box.dataset.state)) return;
  const label = box.querySelector(".job-label");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.status, { credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        if (bar) bar.style.width = data.progress + "%";
        label.textContent = data.label + (data.finished ? "" : ` ${data.progress}%`);
        if (data.finished || data.state !== box.dataset.state && data.state === "ready") {
          window.location.reload();
          return;
        }
      }
    } catch (e) { /* network hiccup: try again */ }
    setTimeout(poll, 1000);
  };
  poll();
})();
