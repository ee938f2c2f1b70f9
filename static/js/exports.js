// Export progress: each unfinished job asks for its status every second until it is done.
(() => {
  for (const row of document.querySelectorAll("tr.job")) {
    if (row.dataset.state === "done" || row.dataset.state === "failed") continue;
    const bar = row.querySelector(".bar");
    const label = row.querySelector(".job-label");
    const error = row.querySelector(".job-error");
    const link = row.querySelector(".job-link");
    const poll = async () => {
      let data;
      try {
        const response = await fetch(row.dataset.status, { credentials: "same-origin" });
        if (!response.ok) return setTimeout(poll, 3000);
        data = await response.json();
      } catch (e) {
        return setTimeout(poll, 3000);
      }
      bar.style.width = data.progress + "%";
      label.textContent = data.label + (data.state === "running" ? ` ${data.progress}%` : "");
      if (data.error) { error.textContent = data.error; error.hidden = false; }
      if (data.download) {
        const a = document.createElement("a");
        a.href = data.download; a.textContent = "下载";
        link.replaceChildren(a);
      }
      if (data.state !== "done" && data.state !== "failed") setTimeout(poll, 1000);
    };
    poll();
  }
})();
