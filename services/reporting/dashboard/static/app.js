/* The DUO dashboard: sign in with a token, then the views of the token's role, every number from the API.
 *
 * The token stays in sessionStorage (this tab) and goes with every call as a bearer token. The page chooses
 * which views to ask for from the role in the token, but shows only what the API answered: a refusal is
 * shown as a refusal, never as data. Text goes into the page with textContent only (no HTML from data).
 */
"use strict";

(function () {
  const TOKEN_KEY = "duo.dashboard.token";
  const FIGURE_ROLES = ["coordinator", "branch_admin", "auditor", "funder", "federation", "finance_officer"];
  const API = new URL("../", document.baseURI); // the API is the page's own origin, one level up
  const charts = [];
  let definitions = {};
  // Items asked for per coordinator's list once "Show more" was used (until then the page's size: index.html's
  // data-per-list, the API's default page).
  let perList = null;
  const MAX_PER_LIST = 1000; // the API's most (GET /coordination's limit)

  // --- helpers ------------------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const int = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-GB"));
  const pct = (r) => (r === null || r === undefined ? "—" : (r * 100).toFixed(1) + "%");
  const eur = (n) => (n === null || n === undefined ? "—" : "EUR " + Number(n).toLocaleString("en-GB"));
  // Money from the API is integer cents: shown in euros with their cents, never rounded on the way.
  const cents = (c) =>
    c === null || c === undefined
      ? "—"
      : "EUR " + (c < 0 ? "-" : "") + Math.floor(Math.abs(c) / 100).toLocaleString("en-GB") + "." + String(Math.abs(c) % 100).padStart(2, "0");
  const text = (v) => (v === null || v === undefined || v === "" ? "—" : String(v));
  const NUMBER = /^(EUR )?-?[\d,.]+%?$|^—$/;
  const shortId = (id) => (id ? String(id).slice(0, 8) : "—");

  function claims(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
    } catch (_) {
      return null;
    }
  }

  class Refused extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(path, params, as) {
    const url = new URL(path, API);
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
    }
    const answer = await fetch(url, {
      headers: { Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY) },
      cache: "no-store",
    });
    if (!answer.ok) {
      let detail = answer.statusText;
      try {
        detail = (await answer.json()).detail || detail;
      } catch (_) {
        /* not JSON */
      }
      if (answer.status === 401) signOut("The API refused the token: " + detail);
      throw new Refused(answer.status, detail);
    }
    return as === "text" ? answer.text() : answer.json();
  }

  function download(name, content) {
    const link = el("a", { href: URL.createObjectURL(new Blob([content], { type: "text/csv" })), download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  function tableCsv(table) {
    const quote = (s) => (/[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);
    return [...table.rows].map((row) => [...row.cells].map((c) => quote(c.textContent.trim())).join(",")).join("\n") + "\n";
  }

  // --- panels: a heading, an optional chart, the numbers as a table, CSV downloads ------------------------

  function panel(parent, spec) {
    const box = el("article", { class: "panel", id: "panel-" + spec.id, "aria-labelledby": "title-" + spec.id });
    box.append(el("h3", { id: "title-" + spec.id, text: spec.title }));
    if (spec.lead) box.append(el("p", { class: "lead", text: spec.lead }));
    parent.append(box);
    return box;
  }

  function table(box, spec) {
    const t = el("table", { id: "table-" + spec.id });
    t.append(el("caption", { text: spec.caption }));
    const head = el("tr");
    for (const column of spec.columns) head.append(el("th", { scope: "col", text: column }));
    t.append(el("thead", null, head));
    const body = el("tbody");
    for (const row of spec.rows) {
      const tr = el("tr", row.key ? { "data-key": row.key } : null);
      row.cells.forEach((cell, i) =>
        tr.append(i === 0 ? el("th", { scope: "row", text: cell }) : el("td", { class: NUMBER.test(cell) ? "num" : null, text: cell })),
      );
      body.append(tr);
    }
    if (!spec.rows.length) body.append(el("tr", null, el("td", { colspan: spec.columns.length, text: spec.empty || "none" })));
    t.append(body);
    const wrap = el("div", { class: "table-wrap" }, t);
    const actions = el("div", { class: "actions" });
    const csv = el("button", { type: "button", class: "csv", "data-table": t.id, text: "Download CSV (this table)" });
    csv.addEventListener("click", () => download(spec.id + ".csv", tableCsv(t)));
    actions.append(csv);
    if (spec.apiCsv) {
      const full = el("button", { type: "button", class: "csv", text: "Download CSV (from the API)" });
      full.addEventListener("click", async () => {
        try {
          download(spec.id + "-api.csv", await api(spec.apiCsv.path, { ...spec.apiCsv.params, format: "csv" }, "text"));
        } catch (err) {
          showStatus("CSV refused: " + err.message);
        }
      });
      actions.append(full);
    }
    box.append(wrap, actions);
    return t;
  }

  function refusal(box, err) {
    box.append(el("p", { class: "refused", text: `The API refused this (${err.status || "error"}): ${err.message}` }));
  }

  // Patterns and value labels: a series is told apart by its hatching and its label, never by colour alone.
  function pattern(color, kind) {
    const size = 10;
    const c = document.createElement("canvas");
    c.width = c.height = size;
    const g = c.getContext("2d");
    g.fillStyle = kind === "solid" ? color : "#ffffff";
    g.fillRect(0, 0, size, size);
    if (kind !== "solid") {
      g.strokeStyle = color;
      g.lineWidth = 2.5;
      g.beginPath();
      if (kind === "stripes") {
        g.moveTo(0, size);
        g.lineTo(size, 0);
        g.moveTo(-2, 2);
        g.lineTo(2, -2);
        g.moveTo(size - 2, size + 2);
        g.lineTo(size + 2, size - 2);
      } else {
        g.arc(size / 2, size / 2, 2, 0, 2 * Math.PI);
      }
      g.stroke();
    }
    return g.createPattern(c, "repeat");
  }

  const valueLabels = {
    id: "duoValueLabels",
    afterDatasetsDraw(chart) {
      const g = chart.ctx;
      g.save();
      g.font = "12px sans-serif";
      g.fillStyle = "#1a1a1a";
      const horizontal = chart.options.indexAxis === "y";
      chart.data.datasets.forEach((dataset, i) => {
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        meta.data.forEach((bar, j) => {
          const value = dataset.data[j];
          if (value === null || value === undefined) return;
          const label = dataset.labels ? dataset.labels[j] : String(value);
          if (horizontal) {
            g.textAlign = "left";
            g.textBaseline = "middle";
            g.fillText(label, bar.x + 4, bar.y);
          } else {
            g.textAlign = "center";
            g.textBaseline = "bottom";
            g.fillText(label, bar.x, bar.y - 2);
          }
        });
      });
      g.restore();
    },
  };

  function chart(box, spec) {
    const canvas = el("canvas", {
      id: "chart-" + spec.id,
      role: "img",
      "aria-label": spec.label + " The numbers are in the table that follows.",
    });
    box.append(el("div", { class: "chart " + (spec.size || "") }, canvas));
    const instance = new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        layout: { padding: { top: 18, right: spec.horizontal ? 120 : 8 } },
        plugins: { legend: { display: spec.datasets.length > 1, labels: { font: { size: 13 } } } },
        scales: spec.scales || { [spec.horizontal ? "x" : "y"]: { beginAtZero: true, ticks: { precision: 0 } } },
      },
      plugins: [valueLabels],
    });
    charts.push(instance);
    canvas.dataset.rendered = "true";
    return instance;
  }

  // --- views --------------------------------------------------------------------------------------------

  function params() {
    return { as_of: $("as-of").value, sustainable_work: $("sustainable-work").value };
  }

  async function figuresView(role) {
    const parent = $("figures-panels");
    const query = params();
    const [plan, figures] = await Promise.allSettled([api("plan", query), api("figures", query)]);
    if (figures.status === "fulfilled") $("as-of").value = figures.value.as_of;

    // The plan against the duos formed, per area and year: one small chart per area, and the table.
    const planBox = panel(parent, {
      id: "plan",
      title: "Planned against formed duos, per province and year",
      lead: plan.status === "fulfilled" ? `Plan ${plan.value.plan}, as of ${plan.value.as_of}.` : null,
    });
    if (plan.status === "rejected") refusal(planBox, plan.reason);
    else {
      const rows = plan.value.rows;
      const areas = [...new Set(rows.map((r) => r.area))];
      const grid = el("div", { class: "grid" });
      planBox.append(grid);
      for (const area of areas) {
        const years = rows.filter((r) => r.area === area && typeof r.year === "number");
        const cell = el("div", { class: "small-multiple" }, el("h4", { text: area }));
        grid.append(cell);
        chart(cell, {
          id: "plan-" + area.toLowerCase().replace(/[^a-z]+/g, "-"),
          label: `${area}: duos planned and formed per year.`,
          labels: years.map((r) => String(r.year)),
          size: "small",
          datasets: [
            {
              label: "planned (hatched)",
              data: years.map((r) => r.planned),
              backgroundColor: pattern("#1f4e99", "stripes"),
              borderColor: "#1f4e99",
              borderWidth: 1.5,
            },
            {
              label: "formed (solid)",
              data: years.map((r) => r.formed),
              backgroundColor: pattern("#b35900", "solid"),
              borderColor: "#b35900",
              borderWidth: 1.5,
            },
          ],
        });
      }
      table(planBox, {
        id: "plan",
        caption: "Duos planned and formed per area and year (2024-2027: the total)",
        columns: ["area", "year", "planned", "formed", "formed / planned"],
        rows: rows.map((r) => ({ key: `${r.area}|${r.year}`, cells: [r.area, String(r.year), int(r.planned), int(r.formed), pct(r.share)] })),
        apiCsv: { path: "plan", params: query },
      });

      const money = panel(parent, { id: "cost", title: "Cost per duo and return" });
      const cost = plan.value.cost_per_duo_eur;
      table(money, {
        id: "cost",
        caption: "Cost per duo: the plan's budget over its planned duos, 2024-2027",
        columns: ["region", "budget", "planned duos", "cost per duo"],
        rows: [
          { key: "Flanders", cells: ["Flanders", eur(cost.Flanders.budget_eur), int(cost.Flanders.planned_duos), eur(cost.Flanders["2024-2027"])] },
          { key: "Brussels", cells: ["Brussels", eur(cost.Brussels.budget_eur), int(cost.Brussels.planned_duos), eur(cost.Brussels["2024-2027"])] },
          { key: "overall", cells: ["Flanders and Brussels", eur(cost.overall.budget_eur), int(cost.overall.planned_duos), eur(cost.overall.cost_per_duo_eur)] },
        ],
      });
      const ret = plan.value.return;
      table(money, {
        id: "return",
        caption: "Estimated yearly return of the sustainable jobs found",
        columns: ["sustainable jobs", "definition", "EUR per job per year", "return per year"],
        rows: [{ key: "return", cells: [int(ret.sustainable_jobs), ret.definition, eur(ret.eur_per_job_per_year), eur(ret.eur_per_year)] }],
      });
      if (plan.value.money) booksView(parent, plan.value);
    }

    if (figures.status === "rejected") {
      refusal(panel(parent, { id: "outcomes", title: "Outcomes" }), figures.reason);
      return;
    }
    if (role === "federation") return rollupView(parent, figures.value, query);
    const f = figures.value.figures;

    const outcomes = panel(parent, {
      id: "outcomes",
      title: "Outcome rates",
      lead: `Branch ${figures.value.branch}, as of ${figures.value.as_of}: ${int(f.duos_formed)} duos formed, ${int(f.applications.total)} applications.`,
    });
    const rates = [
      ["positive_exit", "Positive exit"],
      ["sustainable_work", "Sustainable work"],
      ["mentor_retention", "Mentor retention"],
    ];
    chart(outcomes, {
      id: "outcomes",
      label: "Outcome rates in percent.",
      horizontal: true,
      labels: rates.map(([, name]) => name),
      scales: { x: { beginAtZero: true, max: 100, title: { display: true, text: "%" } } },
      datasets: [
        {
          label: "rate",
          data: rates.map(([key]) => (f[key].rate === null ? 0 : +(f[key].rate * 100).toFixed(1))),
          labels: rates.map(([key]) => `${pct(f[key].rate)} (${f[key].numerator} of ${f[key].denominator})`),
          backgroundColor: pattern("#1f4e99", "stripes"),
          borderColor: "#1f4e99",
          borderWidth: 1.5,
        },
      ],
    });
    table(outcomes, {
      id: "outcomes",
      caption: "Outcome rates, each under its stated definition",
      columns: ["figure", "rate", "counted", "out of", "definition", "what it means"],
      rows: rates.map(([key, name]) => ({
        key,
        cells: [name, pct(f[key].rate), int(f[key].numerator), int(f[key].denominator), f[key].definition, definitions[f[key].definition] || ""],
      })),
      apiCsv: { path: "figures", params: query },
    });

    const people = panel(parent, { id: "counts", title: "Applications, duos, mentors and meetings" });
    table(people, {
      id: "counts",
      caption: "Counts as of the day",
      columns: ["figure", "value"],
      rows: [
        ["applications", "applications", f.applications.total],
        ["registered", "registered mentees", f.applications.registered],
        ["refused", "refused applications", f.applications.refused],
        ["duos_formed", "duos formed", f.duos_formed],
        ["active_mentors", "active mentors", f.active_mentors.count],
        ["still_working_mentors", "still-working mentors", f.mentor_employment.still_working],
        ["employer_released_mentors", "mentors released by their employer", f.mentor_employment.employer_released],
        ["meetings", "meetings", f.meetings.total],
        ["meetings_per_duo", "meetings per duo", f.meetings.per_duo],
        ["hours_per_duo", "hours per duo", f.meetings.hours_per_duo],
        ["inactive_duos", "inactive duos", f.inactive_duos.count],
        ["follow_ups_done", "follow-ups recorded", f.follow_ups.done],
        ["follow_ups_due", "follow-ups due", f.follow_ups.due],
      ].map(([key, name, value]) => ({ key, cells: [name, value === null ? "—" : Number(value).toLocaleString("en-GB")] })),
    });
    const endings = Object.entries(f.early_endings_by_reason);
    table(people, {
      id: "early-endings",
      caption: "Duos ended early, by reason",
      columns: ["reason", "duos"],
      rows: endings.map(([reason, n]) => ({ key: reason, cells: [reason.replace(/_/g, " "), int(n)] })),
    });

    const groups = f.target_groups;
    const targets = panel(parent, {
      id: "target-groups",
      title: "Target groups",
      lead: `The registered mentees (${int(groups.registered)}) by the target groups the memorandum names, recorded only with the mentee's consent ("unknown": no consent). Counts only; "—" is a small count hidden from funders, or one that would give it back.`,
    });
    const groupRows = [];
    for (const [fact, name] of [["neet", "NEET"], ["long_term_unemployed", "long-term unemployed"], ["time_since_last_job", "time since the last job"]]) {
      for (const [value, n] of Object.entries(groups[fact])) {
        groupRows.push({ key: `${fact}.${value}`, cells: [name, value.replace(/_/g, " "), int(n)] });
      }
    }
    table(targets, {
      id: "target-groups",
      caption: "Registered mentees by target-group fact",
      columns: ["fact", "value", "mentees"],
      rows: groupRows,
    });

    const kinds = Object.entries(f.referrals_by_partner_kind);
    const referrals = panel(parent, {
      id: "referrals",
      title: "Referrals to partners",
      lead: "The mentees the mentors referred to public services, local associations and employers, by the partner's kind: how many, how many the mentor went along to, and the outcomes recorded.",
    });
    table(referrals, {
      id: "referrals",
      caption: "Referrals and their outcomes, by partner kind",
      columns: ["partner kind", "referred", "accompanied", "outcomes recorded"],
      rows: kinds.map(([kind, r]) => ({
        key: kind,
        cells: [
          kind.replace(/_/g, " "),
          int(r.referred),
          int(r.accompanied),
          Object.entries(r.outcomes).map(([o, n]) => `${o.replace(/_/g, " ")}: ${n}`).join(", ") || "none yet",
        ],
      })),
      empty: "no referral yet",
    });

    const match = panel(parent, {
      id: "time-to-match",
      title: "Time to match",
      lead: `Median ${f.time_to_match.median_days === null ? "—" : f.time_to_match.median_days} days from registration to the duo (${f.time_to_match.definition}).`,
    });
    const buckets = Object.entries(f.time_to_match.distribution);
    chart(match, {
      id: "time-to-match",
      label: "Duos by days from registration to the duo.",
      labels: buckets.map(([b]) => b + " days"),
      datasets: [{ label: "duos", data: buckets.map(([, n]) => n), backgroundColor: pattern("#4d4d4d", "dots"), borderColor: "#4d4d4d", borderWidth: 1.5 }],
    });
    table(match, {
      id: "time-to-match",
      caption: "Duos by days from registration to the duo",
      columns: ["days", "duos"],
      rows: buckets.map(([b, n]) => ({ key: b, cells: [b, int(n)] })),
    });

    const surveys = Object.entries(f.surveys);
    const employment = f.mentor_employment;
    const survey = panel(parent, {
      id: "surveys",
      title: "Survey results",
      lead: `Share of yes per question, of the ended duos' surveys; "mentor still working" questions count only the mentors still working (employed or self-employed: the base of the memorandum's "adds professional value" figure). Still-working mentors: ${int(employment.still_working)} of ${int(employment.active_mentors)} active mentors (${int(employment.unknown)} not recorded); released by their employer: ${int(employment.employer_released)}.`,
    });
    if (surveys.length) {
      chart(survey, {
        id: "surveys",
        label: "Share of yes per survey question, in percent.",
        horizontal: true,
        labels: surveys.map(([q]) => q.replace(/_/g, " ")),
        scales: { x: { beginAtZero: true, max: 100, title: { display: true, text: "% yes" } } },
        datasets: [
          {
            label: "yes",
            data: surveys.map(([, a]) => +(a.rate * 100).toFixed(1)),
            labels: surveys.map(([, a]) => `${pct(a.rate)} (${a.yes} of ${a.answered})`),
            backgroundColor: pattern("#b35900", "solid"),
            borderColor: "#b35900",
            borderWidth: 1.5,
          },
        ],
      });
    }
    table(survey, {
      id: "surveys",
      caption: "Survey answers: yes, answered, share of yes",
      columns: ["question", "yes", "answered", "share of yes"],
      rows: surveys.map(([q, a]) => ({ key: q, cells: [q.replace(/_/g, " "), int(a.yes), int(a.answered), pct(a.rate)] })),
      empty: "no survey answered yet",
    });
  }

  // The branch's books beside its duos (GET /plan `money`), and its history before the platform (`opening`), apart.
  function booksView(parent, plan) {
    const money = plan.money;
    const box = panel(parent, {
      id: "money",
      title: "Money beside the duos",
      lead: `The branch's budget, costs and subsidies per region and year (${money.currency}), as recorded by its finance officer.`,
    });
    const rows = money.rows;
    if (rows.length) {
      chart(box, {
        id: "cost-per-duo",
        label: "Cost per duo, planned and actual, per region and year, in euros.",
        labels: rows.map((r) => `${r.region} ${r.year}`),
        datasets: [
          {
            label: "planned (hatched)",
            data: rows.map((r) => (r.planned_cost_per_duo_cents === null ? null : r.planned_cost_per_duo_cents / 100)),
            labels: rows.map((r) => cents(r.planned_cost_per_duo_cents)),
            backgroundColor: pattern("#4a6fa5", "stripes"),
            borderColor: "#4a6fa5",
            borderWidth: 1,
          },
          {
            label: "actual (solid)",
            data: rows.map((r) => (r.actual_cost_per_duo_cents === null ? null : r.actual_cost_per_duo_cents / 100)),
            labels: rows.map((r) => cents(r.actual_cost_per_duo_cents)),
            backgroundColor: pattern("#b5562a", "solid"),
            borderColor: "#b5562a",
            borderWidth: 1,
          },
        ],
      });
    }
    table(box, {
      id: "money",
      caption: "Per region and year: duos, costs, cost per duo planned and actual, subsidies (— where none was recorded)",
      columns: [
        "region",
        "year",
        "duos planned",
        "duos formed",
        "budget",
        "planned costs",
        "actual costs",
        "cost per duo planned",
        "cost per duo actual",
        "subsidy requested",
        "subsidy granted",
        "subsidy received",
        "plan's subsidy",
      ],
      rows: rows.map((r) => ({
        key: `${r.region}|${r.year}`,
        cells: [
          r.region,
          String(r.year),
          int(r.planned_duos),
          int(r.duos_formed),
          cents(r.budget_cents),
          cents(r.planned_costs_cents),
          cents(r.actual_costs_cents),
          cents(r.planned_cost_per_duo_cents),
          cents(r.actual_cost_per_duo_cents),
          cents(r.subsidy_requested_cents),
          cents(r.subsidy_granted_cents),
          cents(r.subsidy_received_cents),
          cents(r.plan_subsidy_cents),
        ],
      })),
      empty: "no money recorded yet",
    });
    const net = money.net_return;
    const perThousand = (v) => (v === null || v === undefined ? "—" : "EUR " + Number(v).toLocaleString("en-GB"));
    const netRow = (y, key) => ({
      key,
      cells: [
        y.year === null ? "all years" : String(y.year),
        int(y.sustainable_jobs),
        cents(y.return_cents),
        cents(y.actual_costs_cents),
        cents(y.net_return_cents),
        perThousand(y.net_saving_per_1000_eur),
      ],
    });
    table(box, {
      id: "net-return",
      caption: `Net return: a year's ${cents(net.return_per_job_cents)} per sustainable job (${net.definition}) of the duos formed that year, minus that year's actual costs`,
      columns: ["year", "sustainable jobs", "return", "actual costs", "net return", "net saving per EUR 1,000"],
      rows: net.years.length ? [...net.years.map((y) => netRow(y, String(y.year))), netRow(net.total, "total")] : [],
      empty: "no actual costs recorded yet",
    });

    const opening = plan.opening;
    const before = panel(parent, {
      id: "opening",
      title: "Before the platform (opening figures)",
      lead: "The branch's history before the platform, as its admin recorded it: shown apart, never added to the figures above.",
    });
    table(before, {
      id: "opening",
      caption: "Per region and period before the platform (— where not stated)",
      columns: ["region", "years", "duos formed", "positive exits", "sustainable jobs", "active mentors at the end", "source"],
      rows: opening.periods.map((p) => ({
        key: `${p.region}|${p.first_year}-${p.last_year}`,
        cells: [
          p.region,
          `${p.first_year}-${p.last_year}`,
          int(p.duos_formed),
          int(p.positive_exits),
          int(p.sustainable_jobs),
          int(p.active_mentors),
          p.source,
        ],
      })),
      empty: "no opening figures recorded",
    });
  }

  function rollupView(parent, r, query) {
    const box = panel(parent, {
      id: "rollup",
      title: "The federation's roll-up",
      lead: `Publication of ${r.publication} (one per quarter end: any day asked shows the last one out). Counts from 1 to ${r.suppressed_below - 1}, and changes of 1 to ${r.suppressed_below - 1} since an earlier publication, are suppressed (shown as "suppressed"), so that no figure points at a person.`,
    });
    const names = ["applications", "registered", "refused", "duos_formed", "duos_ended", "positive_exits", "sustainable_jobs", "active_mentors"];
    const show = (v) => (v === null ? "suppressed" : int(v));
    const rows = Object.entries(r.by_branch).map(([branch, row]) => ({
      key: branch,
      cells: [branch, ...names.map((n) => show(row[n])), pct(row.positive_exit_rate), pct(row.sustainable_work_rate)],
    }));
    rows.push({ key: "total", cells: ["total", ...names.map((n) => show(r.total[n])), pct(r.total.positive_exit_rate), pct(r.total.sustainable_work_rate)] });
    table(box, {
      id: "rollup",
      caption: "Each branch's headline counts and the total",
      columns: ["branch", ...names.map((n) => n.replace(/_/g, " ")), "positive exit rate", "sustainable work rate"],
      rows,
      apiCsv: { path: "figures", params: query },
    });
  }

  async function coordinationView() {
    const parent = $("coordination-panels");
    // The page's size, if index.html states one (otherwise the API's default page).
    const asked = perList || Number($("coordination").dataset.perList) || null;
    let c;
    try {
      c = await api("coordination", { as_of: $("as-of").value, office: $("office").value, limit: asked });
    } catch (err) {
      refusal(panel(parent, { id: "work", title: "My work" }), err);
      return;
    }
    $("as-of").value = c.as_of;
    const select = $("office");
    if (select.options.length === 1) {
      for (const office of c.offices_of_caller) select.append(el("option", { value: office, text: office }));
    }
    const scope = c.offices ? c.offices.join(", ") : `every office of ${c.branch}`;
    const summary = panel(parent, { id: "work", title: "To act on", lead: `Branch ${c.branch}, ${scope}, as of ${c.as_of}.` });
    const lists = [
      ["waiting_mentees", "mentees waiting for a mentor"],
      ["open_proposals", "open proposals"],
      ["inactive_duos", "inactive duos"],
      ["follow_ups_due", "follow-ups due"],
    ];
    chart(summary, {
      id: "work",
      label: "How many of each list there are.",
      horizontal: true,
      size: "short",
      labels: lists.map(([, name]) => name),
      datasets: [{ label: "count", data: lists.map(([key]) => c[key].total), backgroundColor: pattern("#1f4e99", "stripes"), borderColor: "#1f4e99", borderWidth: 1.5 }],
    });
    table(summary, {
      id: "work",
      caption: "Lists and their definitions",
      columns: ["list", "how many", "definition", "what it means"],
      rows: lists.map(([key, name]) => ({ key, cells: [name, int(c[key].total), c[key].definition, c.definitions[c[key].definition] || ""] })),
    });
    const more = (list) => (list.total > list.items.length ? ` Showing the first ${list.items.length} of ${list.total}.` : "");
    const page = asked || Math.max(...lists.map(([key]) => c[key].items.length));
    if (page < MAX_PER_LIST && lists.some(([key]) => c[key].total > c[key].items.length)) {
      const next = Math.min(MAX_PER_LIST, page * 4);
      const button = el("button", { type: "button", id: "show-more", text: `Show up to ${next} of each list` });
      button.addEventListener("click", () => {
        perList = next;
        show();
      });
      summary.append(el("p", null, button));
    }

    let box = panel(parent, { id: "waiting", title: "Mentees waiting for a mentor", lead: "Ids only: names are in intake." + more(c.waiting_mentees) });
    table(box, {
      id: "waiting",
      caption: "Mentees waiting for a mentor, the longest wait first",
      columns: ["mentee", "office", "registered on", "waiting since", "days waiting", "open proposal expires"],
      rows: c.waiting_mentees.items.map((m) => ({
        key: m.mentee_id,
        cells: [m.mentee_id, m.office, text(m.registered_on), m.waiting_since, int(m.days_waiting), text(m.proposal_expires_on)],
      })),
      empty: "nobody is waiting",
    });
    box = panel(parent, { id: "proposals", title: "Open proposals", lead: more(c.open_proposals).trim() || null });
    table(box, {
      id: "proposals",
      caption: "Open proposals, the soonest expiry first",
      columns: ["proposal", "office", "mentee", "mentor", "proposed on", "first meeting", "accepted by", "expires on", "days left"],
      rows: c.open_proposals.items.map((p) => ({
        key: p.proposal_id,
        cells: [
          shortId(p.proposal_id),
          p.office,
          shortId(p.mentee_id),
          shortId(p.mentor_id),
          p.proposed_on,
          text(p.first_meeting_on),
          p.accepted_by.join(", ") || "—",
          text(p.expires_on),
          p.overdue ? `overdue (${p.days_to_expiry})` : text(p.days_to_expiry),
        ],
      })),
      empty: "no open proposal",
    });
    box = panel(parent, { id: "inactive", title: "Inactive duos", lead: more(c.inactive_duos).trim() || null });
    table(box, {
      id: "inactive",
      caption: "Running duos without a meeting for 21 days or more, the longest silence first",
      columns: ["duo", "office", "formed on", "last meeting", "days without a meeting"],
      rows: c.inactive_duos.items.map((d) => ({ key: d.duo_id, cells: [d.duo_id, d.office, d.formed_on, text(d.last_meeting_on), int(d.days_without_meeting)] })),
      empty: "no inactive duo",
    });
    box = panel(parent, { id: "follow-ups", title: "Follow-ups due", lead: more(c.follow_ups_due).trim() || null });
    table(box, {
      id: "follow-ups",
      caption: "Follow-ups due and not recorded, the oldest first",
      columns: ["duo", "office", "ended on", "months after", "due on", "days overdue"],
      rows: c.follow_ups_due.items.map((f) => ({ key: `${f.duo_id}|${f.months}`, cells: [f.duo_id, f.office, f.ended_on, String(f.months), f.due_on, int(f.days_overdue)] })),
      empty: "no follow-up due",
    });
    box = panel(parent, {
      id: "parked",
      title: "Parked events",
      lead: `Events reporting parked for your branch (never counted until fixed: duo parked list). Messages that were not events of the platform: ${int(c.parked.messages_without_branch)}.`,
    });
    table(box, {
      id: "parked",
      caption: "Parked events of the branch, the latest first",
      columns: ["event", "type", "office", "reason", "parked at"],
      rows: c.parked.events.map((e) => ({ key: e.event_id, cells: [shortId(e.event_id), e.event_type, text(e.office), e.reason, e.parked_at] })),
      empty: "nothing parked",
    });
    const mark = { ok: "✓ ok", degraded: "! degraded", failing: "✗ failing", unreachable: "✗ unreachable" };
    box = panel(parent, { id: "health", title: "Platform health", lead: c.health.note });
    table(box, {
      id: "health",
      caption: "Each service's health, and why",
      columns: ["service", "status", "reasons"],
      rows: c.health.services.map((s) => ({ key: s.service, cells: [s.service, mark[s.status] || s.status, s.reasons.join("; ") || "—"] })),
    });
  }

  // --- sign-in and the page's life ----------------------------------------------------------------------

  function showStatus(message) {
    $("status").textContent = message;
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    perList = null;
    for (const id of ["controls", "coordination", "figures", "sign-out"]) $(id).hidden = true;
    $("who").textContent = "";
    $("sign-in").hidden = false;
    $("sign-in-error").textContent = message || "";
    $("office").replaceChildren(el("option", { value: "", text: "all my offices" }));
    clear();
  }

  function clear() {
    while (charts.length) charts.pop().destroy();
    $("coordination-panels").replaceChildren();
    $("figures-panels").replaceChildren();
  }

  async function show() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const said = token && claims(token);
    if (!said || !FIGURE_ROLES.includes(said.role)) return signOut(token ? "That is not a token of the platform." : "");
    $("sign-in").hidden = true;
    $("sign-out").hidden = false;
    $("controls").hidden = false;
    const where = said.branch ? `branch ${said.branch}` : "every branch";
    const offices = said.offices ? ` (offices ${said.offices.join(", ")})` : "";
    $("who").textContent = `Signed in as ${said.sub}, ${said.role.replace("_", " ")}, ${where}${offices}.`;
    document.body.dataset.role = said.role;
    const coordinator = said.role === "coordinator";
    $("office-control").hidden = !coordinator;
    $("coordination").hidden = !coordinator;
    $("figures").hidden = false;
    clear();
    showStatus("Loading…");
    document.body.dataset.loaded = "false";
    try {
      try {
        definitions = await api("definitions");
      } catch (err) {
        if (err.status === 401) return; // signed out with the API's reason: nothing else is asked
        definitions = {};
      }
      if (coordinator) await coordinationView();
      if (sessionStorage.getItem(TOKEN_KEY)) await figuresView(said.role);
      showStatus("");
    } catch (err) {
      showStatus("Could not load: " + err.message);
    } finally {
      document.body.dataset.loaded = "true";
    }
  }

  function start() {
    // A link may carry the token in its fragment (never sent to a server): keep it, then drop it from the address.
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get("token")) {
      sessionStorage.setItem(TOKEN_KEY, fragment.get("token").trim());
      history.replaceState(null, "", location.pathname + location.search);
    }
    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $("token").value.trim().replace(/^Bearer\s+/i, ""));
      $("token").value = "";
      show();
    });
    $("sign-out").addEventListener("click", () => signOut("Signed out."));
    $("controls").addEventListener("submit", (event) => {
      event.preventDefault();
      show();
    });
    show();
  }

  window.duoDashboard = { tableCsv };
  document.addEventListener("DOMContentLoaded", start);
})();
