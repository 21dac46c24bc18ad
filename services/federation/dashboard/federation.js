// The federation's view: GET /figures with the token pasted, shown as two tables (regions, then branches).
// Every value comes from the API; a region that is down is shown stale with its age, its last figures kept.
"use strict";
(function () {
  const HEADLINES = ["applications", "registered", "refused", "duos_formed", "duos_ended", "positive_exits", "sustainable_jobs", "active_mentors"];
  const $ = (id) => document.getElementById(id);
  const cell = (row, text) => row.appendChild(document.createElement("td")).append(text === null || text === undefined ? "suppressed" : String(text));

  function age(seconds) {
    if (seconds === null) return "never heard from";
    return seconds < 120 ? `${Math.round(seconds)} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
  }

  function show(r) {
    const regions = $("region-rows");
    regions.replaceChildren();
    for (const [name, state] of Object.entries(r.regions)) {
      const row = regions.appendChild(document.createElement("tr"));
      for (const value of [name, (state.branches || []).join(", ") || "?", state.publication || "none", state.sent_at || "never", age(state.age_s), state.stale ? "STALE" : "current"]) cell(row, value);
    }
    $("rollup-title").textContent = `Branches, publication of ${r.publication || "none yet"}`;
    const head = $("rollup-head");
    head.replaceChildren();
    const top = head.appendChild(document.createElement("tr"));
    for (const name of ["branch", "region", ...HEADLINES]) top.appendChild(document.createElement("th")).append(name.replace(/_/g, " "));
    const rows = $("rollup-rows");
    rows.replaceChildren();
    for (const [branch, counts] of [...Object.entries(r.by_branch), ["total", { region: "all", ...r.total }]]) {
      const row = rows.appendChild(document.createElement("tr"));
      cell(row, branch);
      cell(row, counts.region);
      for (const name of HEADLINES) cell(row, counts[name]);
    }
    $("regions").hidden = $("rollup").hidden = false;
  }

  async function load() {
    const answer = await fetch("../figures", { headers: { Authorization: "Bearer " + sessionStorage.getItem("duo-federation-token") }, cache: "no-store" });
    if (!answer.ok) {
      $("error").textContent = `The API refused: ${answer.status} ${(await answer.json().catch(() => ({}))).detail || ""}`;
      return;
    }
    $("error").textContent = "";
    show(await answer.json());
  }

  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("duo-federation-token", $("token").value.trim());
    load();
    setInterval(load, 10000); // ages move on: a region that stops sending turns stale on the page too
  });
})();
