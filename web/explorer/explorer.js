// The bfxdb explorer: a query editor over POST api/v1/query, results as a graph (vis-network),
// a table, JSON and a plan tree, a schema sidebar and a details panel. Everything a user stored
// reaches the page through textContent or the canvas, never as HTML.
"use strict";
(() => {
  const API = "api/v1/";
  // Drawing more than this many nodes makes the canvas and its physics too slow to use.
  const MAX_DRAWN_NODES = 1000;
  const TABLE_PAGE = 1000;
  const MAX_JSON_CHARS = 2000000;
  const NEIGHBOUR_LIMIT = 100;
  const HISTORY_KEY = "bfxdb.explorer.history";
  const HISTORY_SIZE = 50;
  const KEY_STORE = "bfxdb.explorer.key";
  const CAPTION_KEYS = ["name", "title", "caption", "label", "key"];
  const PALETTE = ["#4c8eda", "#da7194", "#569480", "#d9a441", "#8e6fc6", "#e27a3f", "#57c7e3", "#a5abb6",
    "#c990c0", "#6dce9e", "#f16667", "#ffc454"];
  const KEYWORDS = new Set(("MATCH OPTIONAL WHERE RETURN WITH UNWIND CREATE MERGE DELETE DETACH SET REMOVE ORDER BY " +
    "SKIP LIMIT OFFSET AS AND OR NOT XOR IN IS NULL TRUE FALSE DISTINCT CALL YIELD UNION ALL EXPLAIN PROFILE CASE " +
    "WHEN THEN ELSE END ON ASC DESC ASCENDING DESCENDING STARTS ENDS CONTAINS EXISTS FOREACH DROP INDEX").split(" "));
  const TOKEN = /(\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?)|(\$\w+)|(\b\d+(?:\.\d+)?\b)|(:`[^`]*`?|:[A-Za-z_]\w*)|([A-Za-z_]\w*)/g;
  const TOKEN_CLASSES = ["tok-comment", "tok-string", "tok-param", "tok-number", "tok-label"];

  const $ = (id) => document.getElementById(id);
  const graphBox = $("graph");
  const state = {
    key: sessionStorage.getItem(KEY_STORE) || "",
    keyWanted: null,
    nodes: new Map(), // substrate_id -> substrate, for the nodes in view
    rels: new Map(), // relationship_id -> relationship, for the relationships in view
    colours: new Map(),
    controller: null,
    last: null,
    tableRows: TABLE_PAGE,
    sort: null,
    selected: null,
    network: null,
    data: null,
  };

  // ------------------------------------------------------------------ small helpers

  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const child of children) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  const count = (n) => n.toLocaleString("en-US");
  const quoteName = (name) => "`" + String(name).replaceAll("`", "``") + "`";
  const isNode = (v) => v !== null && typeof v === "object" && typeof v.substrate_id === "string" && Array.isArray(v.labels);
  const isRel = (v) => v !== null && typeof v === "object" && typeof v.relationship_id === "string" && typeof v.rel_type === "string";
  const isPath = (v) => v !== null && typeof v === "object" && Array.isArray(v.nodes) && Array.isArray(v.relationships);

  class ApiError extends Error {
    constructor(body, status) {
      super(body.detail || `HTTP ${status}`);
      this.body = body;
      this.status = status;
    }
  }

  // ------------------------------------------------------------------ the API, with the key

  function askKey(reason) {
    if (!state.keyWanted) {
      $("key-reason").textContent = reason || "This server needs an API key.";
      $("key-input").value = "";
      $("key-dialog").showModal();
      $("key-input").focus();
      state.keyWanted = new Promise((resolve) => {
        $("key-form").addEventListener("submit", (event) => {
          event.preventDefault();
          state.key = $("key-input").value.trim();
          sessionStorage.setItem(KEY_STORE, state.key);
          $("key-dialog").close();
          state.keyWanted = null;
          resolve();
        }, { once: true });
      });
    }
    return state.keyWanted;
  }

  async function api(path, options = {}) {
    const headers = { Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (state.key) headers.Authorization = "Bearer " + state.key;
    const response = await fetch(API + path, { ...options, headers });
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { detail: text || `HTTP ${response.status}` };
    }
    if (response.status === 401) {
      await askKey(body.detail);
      return api(path, options);
    }
    if (!response.ok) throw new ApiError(body, response.status);
    return body;
  }

  const cypher = (query, extra = {}) => api("query", { method: "POST", body: JSON.stringify({ query, ...extra }) });

  // ------------------------------------------------------------------ status contract

  function setStatus(status, error) {
    graphBox.dataset.status = status;
    if (error) graphBox.dataset.error = error;
    else delete graphBox.dataset.error;
  }

  function setCounts() {
    graphBox.dataset.renderedNodes = String(state.data ? state.data.nodes.length : 0);
    graphBox.dataset.renderedRelationships = String(state.data ? state.data.edges.length : 0);
  }

  // ------------------------------------------------------------------ editor

  function highlight() {
    const text = $("editor").value;
    const parts = [];
    let at = 0;
    for (const match of text.matchAll(TOKEN)) {
      if (match.index > at) parts.push(text.slice(at, match.index));
      const group = match.slice(1).findIndex((g) => g !== undefined);
      let cls = TOKEN_CLASSES[group];
      if (group === 5) cls = KEYWORDS.has(match[0].toUpperCase()) ? "tok-keyword" : "";
      parts.push(cls ? el("span", cls, match[0]) : match[0]);
      at = match.index + match[0].length;
    }
    parts.push(text.slice(at) + "\n");
    $("highlight").replaceChildren(...parts);
    $("highlight").scrollTop = $("editor").scrollTop;
  }

  function history() {
    try {
      const list = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(list) ? list.filter((q) => typeof q === "string") : [];
    } catch {
      return [];
    }
  }

  function remember(query) {
    const list = [query, ...history().filter((q) => q !== query)].slice(0, HISTORY_SIZE);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(list));
    renderHistory();
  }

  function renderHistory() {
    const options = history().map((q) => {
      const option = el("option", "", q.length > 60 ? q.slice(0, 57).replace(/\s+/g, " ") + "…" : q.replace(/\s+/g, " "));
      option.value = q;
      return option;
    });
    const first = el("option", "", "History");
    first.value = "";
    $("history").replaceChildren(first, ...options);
  }

  function showError(error) {
    const where = error.line ? ` (line ${error.line}, column ${error.column})` : "";
    $("error-detail").textContent = (error.detail || String(error)) + (error.detail && error.detail.includes("(line") ? "" : where);
    $("error-context").textContent = error.context || "";
    $("error-context").hidden = !error.context;
    $("error").hidden = false;
  }

  // ------------------------------------------------------------------ running a query

  async function run(query) {
    if (!query.trim()) return;
    let parameters;
    try {
      parameters = JSON.parse($("params").value.trim() || "{}");
    } catch (e) {
      showError({ detail: "$parameters is not valid JSON: " + e.message });
      setStatus("error", "invalid parameters");
      return;
    }
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    $("error").hidden = true;
    $("notice").hidden = true;
    $("cancel").disabled = false;
    $("summary").textContent = "running…";
    setStatus("running");
    remember(query);
    const started = performance.now();
    try {
      const body = await api("query", { method: "POST", body: JSON.stringify({ query, parameters }), signal: controller.signal });
      if (controller !== state.controller) return;
      state.last = body;
      await showResult(body, performance.now() - started);
      if (body.error) {
        showError(body.error);
        setStatus("error", body.error.detail);
      }
    } catch (e) {
      if (controller !== state.controller) return;
      const cancelled = e.name === "AbortError";
      const error = cancelled ? { detail: "The query was cancelled." } : (e.body || { detail: String(e) });
      showError(error);
      $("summary").textContent = cancelled ? "cancelled" : "failed";
      setStatus("error", error.detail);
    } finally {
      if (controller === state.controller) {
        state.controller = null;
        $("cancel").disabled = true;
      }
    }
  }

  function collect(value, nodes, rels) {
    if (isNode(value)) nodes.set(value.substrate_id, value);
    else if (isRel(value)) rels.set(value.relationship_id, value);
    else if (isPath(value)) {
      value.nodes.forEach((n) => collect(n, nodes, rels));
      value.relationships.forEach((r) => collect(r, nodes, rels));
    } else if (Array.isArray(value)) value.forEach((v) => collect(v, nodes, rels));
    else if (value !== null && typeof value === "object") Object.values(value).forEach((v) => collect(v, nodes, rels));
  }

  async function showResult(body, elapsed) {
    const nodes = new Map();
    const rels = new Map();
    body.rows.forEach((row) => collect(row, nodes, rels));
    const writes = Object.entries(body.stats || {}).filter(([, n]) => n).map(([what, n]) => `${what.replaceAll("_", " ")}: ${n}`);
    $("summary").textContent = `${count(body.row_count)} rows in ${Math.round(elapsed)} ms` + (writes.length ? " — " + writes.join(", ") : "");
    state.tableRows = TABLE_PAGE;
    state.sort = null;
    renderTable();
    renderPlan(body);
    if (!$("view-json").hidden) renderJson();
    if (body.plan && /^\s*EXPLAIN\b/i.test($("editor").value)) showView("plan");
    else if (!nodes.size && body.rows.length) showView("table");
    else if (nodes.size) showView("graph");
    await draw([...nodes.values()], [...rels.values()], true);
  }

  // ------------------------------------------------------------------ the graph

  function colour(label) {
    if (!state.colours.has(label)) state.colours.set(label, PALETTE[state.colours.size % PALETTE.length]);
    return state.colours.get(label);
  }

  function caption(node) {
    const chosen = $("caption").value;
    const meta = node.metadata || {};
    const key = chosen || CAPTION_KEYS.find((k) => meta[k] !== undefined && meta[k] !== null);
    let text = key !== undefined && meta[key] !== undefined ? meta[key] : (node.labels[0] || node.substrate_id.slice(-6));
    text = typeof text === "string" ? text : JSON.stringify(text);
    return text.length > 24 ? text.slice(0, 23) + "…" : text;
  }

  function visNode(node) {
    const fill = node.labels.length ? colour(node.labels[0]) : "#a5abb6";
    return { id: node.substrate_id, label: caption(node), color: { background: fill, border: "#2f3a45", highlight: { background: fill, border: "#000" } } };
  }

  function visEdge(rel) {
    return { id: rel.relationship_id, from: rel.source_id, to: rel.target_id, label: rel.rel_type, arrows: rel.bidirectional ? "to, from" : "to" };
  }

  function ensureNetwork() {
    if (state.network) return;
    state.data = { nodes: new vis.DataSet(), edges: new vis.DataSet() };
    state.network = new vis.Network(graphBox, state.data, {
      layout: { improvedLayout: false },
      physics: { solver: "barnesHut", barnesHut: { gravitationalConstant: -4000, springLength: 110 }, stabilization: false },
      interaction: { hover: true, navigationButtons: false, keyboard: false },
      nodes: { shape: "dot", size: 14, font: { size: 12, color: "#1d2329" }, borderWidth: 1 },
      edges: { color: { color: "#8a939e", highlight: "#1d2329" }, font: { size: 10, align: "middle", color: "#4a535e" }, arrows: { to: { scaleFactor: 0.5 } }, smooth: { type: "dynamic" } },
    });
    // What is under the pointer, not the selection: a second click on a selected node deselects it.
    state.network.on("click", (p) => {
      const node = state.network.getNodeAt(p.pointer.DOM);
      const edge = node === undefined ? state.network.getEdgeAt(p.pointer.DOM) : undefined;
      if (node !== undefined) showNode(node);
      else if (edge !== undefined) showRel(edge);
      else $("details").hidden = true;
    });
    state.network.on("doubleClick", (p) => {
      const node = state.network.getNodeAt(p.pointer.DOM);
      if (node !== undefined) expand(node, "both", "");
    });
    state.network.on("stabilized", () => { graphBox.dataset.settled = "true"; });
  }

  // Draw nodes and relationships (replacing the view, or adding to it); resolves once drawn.
  async function draw(nodes, rels, replace) {
    if (typeof vis === "undefined") {
      const message = "vis-network did not load: install it on the server with pip install 'bfxdb[explorer]'";
      showError({ detail: message });
      setStatus("error", message);
      return;
    }
    ensureNetwork();
    if (replace) {
      state.data.edges.clear();
      state.data.nodes.clear();
      state.nodes.clear();
      state.rels.clear();
      $("details").hidden = true;
    }
    const fresh = nodes.filter((n) => !state.nodes.has(n.substrate_id));
    const room = Math.max(0, MAX_DRAWN_NODES - state.nodes.size);
    const drawn = fresh.slice(0, room);
    drawn.forEach((n) => state.nodes.set(n.substrate_id, n));
    // Ends of returned relationships that the result did not return are fetched, room allowing.
    const missing = [...new Set(rels.flatMap((r) => [r.source_id, r.target_id]))].filter((id) => !state.nodes.has(id));
    const fetchable = missing.slice(0, Math.max(0, room - drawn.length));
    const fetched = (await Promise.all(fetchable.map((id) => api("substrates/" + encodeURIComponent(id)).catch(() => null)))).filter(Boolean);
    fetched.forEach((n) => state.nodes.set(n.substrate_id, n));
    const edges = rels.filter((r) => !state.rels.has(r.relationship_id) && state.nodes.has(r.source_id) && state.nodes.has(r.target_id));
    edges.forEach((r) => state.rels.set(r.relationship_id, r));
    const leftOut = fresh.length - drawn.length + (missing.length - fetchable.length);
    state.data.nodes.add([...drawn, ...fetched].map(visNode));
    state.data.edges.add(edges.map(visEdge));
    renderLegend();
    renderCaptionChoices();
    if (leftOut > 0) {
      $("notice").textContent = `Drew ${count(state.nodes.size)} nodes; ${count(leftOut)} more were left out (at most ${count(MAX_DRAWN_NODES)} are drawn). The Table and JSON views show every row.`;
      $("notice").hidden = false;
    }
    delete graphBox.dataset.settled;
    // A hidden canvas is not drawn; it is drawn, all in view, when its tab is opened.
    if (!$("view-graph").hidden) {
      await new Promise((resolve) => {
        state.network.once("afterDrawing", resolve);
        state.network.redraw();
      });
    }
    if (replace && state.nodes.size) state.network.fit();
    setCounts();
    setStatus("done");
  }

  function renderLegend() {
    const labels = new Set();
    state.nodes.forEach((n) => n.labels.forEach((l) => labels.add(l)));
    $("legend").replaceChildren(...[...labels].sort().map((label) => {
      const chip = el("li", "", label);
      chip.style.background = colour(label);
      return chip;
    }));
  }

  function renderCaptionChoices() {
    const keys = new Set();
    state.nodes.forEach((n) => Object.keys(n.metadata || {}).forEach((k) => keys.add(k)));
    const current = $("caption").value;
    const auto = el("option", "", "(auto)");
    auto.value = "";
    $("caption").replaceChildren(auto, ...[...keys].sort().map((k) => {
      const option = el("option", "", k);
      option.value = k;
      return option;
    }));
    $("caption").value = keys.has(current) ? current : "";
  }

  async function expand(id, direction, type) {
    const typed = type ? "&rel_type=" + encodeURIComponent(type) : "";
    const base = encodeURIComponent(id);
    const none = { relationships: [] };
    setStatus("running");
    try {
      const [around, outgoing, incoming] = await Promise.all([
        api(`substrates/${base}/neighbours?direction=${direction}&limit=${NEIGHBOUR_LIMIT}${typed}`),
        direction === "in" ? none : api(`relationships/outgoing/${base}?limit=${NEIGHBOUR_LIMIT}${typed}`),
        direction === "out" ? none : api(`relationships/incoming/${base}?limit=${NEIGHBOUR_LIMIT}${typed}`),
      ]);
      await draw(around.neighbours.map((n) => n.substrate), [...outgoing.relationships, ...incoming.relationships], false);
    } catch (e) {
      showError(e.body || { detail: String(e) });
      setStatus("error", e.message);
    }
  }

  function removeFromView(id) {
    if (state.nodes.has(id)) {
      const edges = state.network.getConnectedEdges(id);
      state.data.edges.remove(edges);
      edges.forEach((e) => state.rels.delete(e));
      state.data.nodes.remove(id);
      state.nodes.delete(id);
    } else {
      state.data.edges.remove(id);
      state.rels.delete(id);
    }
    $("details").hidden = true;
    renderLegend();
    setCounts();
  }

  // ------------------------------------------------------------------ details panel

  function propertyRows(metadata) {
    const entries = Object.entries(metadata || {});
    if (!entries.length) return [el("tr", "", el("td", "muted", "no properties"))];
    return entries.map(([k, v]) => el("tr", "", el("td", "", k), el("td", "", typeof v === "string" ? v : JSON.stringify(v))));
  }

  function showNode(id) {
    const node = state.nodes.get(id);
    if (!node) return;
    state.selected = id;
    $("details-title").textContent = "Node";
    $("details-labels").replaceChildren(...node.labels.map((l) => {
      const chip = el("span", "chip", l);
      chip.style.background = colour(l);
      chip.style.color = "#fff";
      return chip;
    }));
    $("details-id").textContent = node.substrate_id;
    $("details-properties").replaceChildren(...propertyRows(node.metadata));
    $("details-expression").hidden = !node.expression_code;
    $("details-expression-type").textContent = node.expression_type || "";
    $("details-expression-code").textContent = node.expression_code || "";
    $("invoke-result").textContent = "";
    $("expand").hidden = false;
    $("details").hidden = false;
  }

  function showRel(id) {
    const rel = state.rels.get(id);
    if (!rel) return;
    state.selected = id;
    $("details-title").textContent = "Relationship";
    $("details-labels").replaceChildren(el("span", "chip", rel.rel_type), " ", el("span", "muted", rel.bidirectional ? "both ways" : "directed"));
    $("details-id").textContent = `${rel.relationship_id}  (${rel.source_id} → ${rel.target_id})`;
    $("details-properties").replaceChildren(...propertyRows(rel.metadata));
    $("details-expression").hidden = true;
    $("expand").hidden = true;
    $("details").hidden = false;
  }

  async function invoke() {
    const out = $("invoke-result");
    let parameters;
    try {
      parameters = JSON.parse($("invoke-params").value.trim() || "{}");
    } catch (e) {
      out.textContent = "parameters are not valid JSON: " + e.message;
      return;
    }
    try {
      const body = await api(`substrates/${encodeURIComponent(state.selected)}/invoke`, { method: "POST", body: JSON.stringify({ parameters }) });
      out.textContent = `${JSON.stringify(body.result)}  (${body.invocation_time_ms} ms)`;
    } catch (e) {
      out.textContent = e.message;
    }
  }

  // ------------------------------------------------------------------ table, JSON, plan

  function compact(value, top = true) {
    if (isNode(value)) return "(" + value.labels.map((l) => ":" + l).join("") + props(value.metadata) + ")";
    if (isRel(value)) return "[:" + value.rel_type + props(value.metadata) + "]";
    if (isPath(value)) {
      let text = compact(value.nodes[0], false);
      value.relationships.forEach((r, i) => {
        const next = value.nodes[i + 1];
        const forward = next && r.target_id === next.substrate_id;
        text += (forward ? "-" : "<-") + compact(r, false) + (forward ? "->" : "-") + compact(next, false);
      });
      return text;
    }
    if (Array.isArray(value)) return "[" + value.map((v) => compact(v, false)).join(", ") + "]";
    if (value !== null && typeof value === "object") return "{" + Object.entries(value).map(([k, v]) => `${k}: ${compact(v, false)}`).join(", ") + "}";
    if (typeof value === "string" && top) return value;
    return JSON.stringify(value);
  }

  function props(metadata) {
    const entries = Object.entries(metadata || {});
    return entries.length ? " {" + entries.map(([k, v]) => `${k}: ${compact(v, false)}`).join(", ") + "}" : "";
  }

  function renderTable() {
    const body = state.last;
    const head = $("table").tHead;
    const rowsBox = $("table").tBodies[0];
    if (!body) return;
    head.replaceChildren(el("tr", "", ...body.columns.map((c, i) => {
      const th = el("th", "", c + (state.sort && state.sort.column === i ? (state.sort.up ? " ▲" : " ▼") : ""));
      th.addEventListener("click", () => {
        state.sort = { column: i, up: !(state.sort && state.sort.column === i && state.sort.up) };
        renderTable();
      });
      return th;
    })));
    let rows = body.rows;
    if (state.sort) {
      const { column, up } = state.sort;
      const key = (row) => (typeof row[column] === "number" ? row[column] : compact(row[column]));
      rows = [...rows].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return up ? order : -order;
      });
    }
    const shown = rows.slice(0, state.tableRows).map((row) => el("tr", "", ...row.map((v) => el("td", "", compact(v)))));
    if (rows.length > state.tableRows) {
      const more = el("button", "", `Show ${count(Math.min(TABLE_PAGE, rows.length - state.tableRows))} more`);
      more.type = "button";
      more.addEventListener("click", () => {
        state.tableRows += TABLE_PAGE;
        renderTable();
      });
      const cell = el("td", "", `${count(state.tableRows)} of ${count(rows.length)} rows shown `, more);
      cell.colSpan = body.columns.length;
      shown.push(el("tr", "", cell));
    }
    rowsBox.replaceChildren(...shown);
  }

  function renderJson() {
    if (!state.last) return;
    let text = JSON.stringify(state.last, null, 2);
    if (text.length > MAX_JSON_CHARS) text = text.slice(0, MAX_JSON_CHARS) + `\n… (${count(text.length - MAX_JSON_CHARS)} more characters not shown)`;
    $("json").textContent = text;
  }

  // The plan's text indents each operator under the one it feeds; the tree follows the indentation.
  function renderPlan(body) {
    const root = $("plan");
    $("plan-empty").hidden = Boolean(body.plan);
    const stack = [{ depth: -1, list: root }];
    root.replaceChildren();
    for (const line of (body.plan || "").split("\n")) {
      if (!line.trim()) continue;
      const depth = line.length - line.trimStart().length;
      while (stack.length > 1 && stack[stack.length - 1].depth >= depth) stack.pop();
      const item = el("li", "", line.trim());
      stack[stack.length - 1].list.append(item);
      const children = el("ul");
      item.append(children);
      stack.push({ depth, list: children });
    }
    const profile = body.profile || [];
    $("profile").replaceChildren(...(profile.length ? [el("tr", "", el("th", "", "part"), el("th", "", "operator"), el("th", "", "rows"), el("th", "", "ms"))] : []),
      ...profile.map((p) => el("tr", "", el("td", "", p.part), el("td", "", p.operator), el("td", "", count(p.rows)), el("td", "", p.time_ms.toFixed(3)))));
  }

  function showView(name) {
    for (const button of $("tabs").querySelectorAll("button[data-view]")) button.classList.toggle("active", button.dataset.view === name);
    for (const view of ["graph", "table", "json", "plan"]) $("view-" + view).hidden = view !== name;
    if (name === "json") renderJson();
    if (name === "graph" && state.network) state.network.fit();
  }

  // ------------------------------------------------------------------ schema sidebar

  function chip(text, n, query) {
    const item = el("li", "chip", text);
    if (n !== undefined && n !== null) item.append(el("span", "count", count(n)));
    item.title = query;
    item.addEventListener("click", () => {
      $("editor").value = query;
      highlight();
      run(query);
    });
    return item;
  }

  async function counted(names, template) {
    return Promise.all(names.map((name) => cypher(template(quoteName(name))).then((b) => b.rows[0][0], () => null)));
  }

  async function keyCounts() {
    const counts = new Map();
    for (const query of ["MATCH (n) UNWIND keys(n) AS key RETURN key, count(*)", "MATCH ()-[r]->() UNWIND keys(r) AS key RETURN key, count(*)"]) {
      try {
        const body = await cypher(query, { timeout_ms: 3000 });
        body.rows.forEach(([key, n]) => counts.set(key, (counts.get(key) || 0) + n));
      } catch {
        return null; // a large graph: the keys are listed without counts
      }
    }
    return counts;
  }

  async function loadSchema() {
    try {
      const [labels, types, keys] = (await Promise.all(
        ["CALL db.labels()", "CALL db.relationshipTypes()", "CALL db.propertyKeys()"].map((q) => cypher(q)),
      )).map((b) => b.rows);
      const labelNames = labels.map((r) => r[0]);
      const typeNames = types.map((r) => r[0]);
      const [labelCounts, typeCounts, keyCount] = await Promise.all([
        counted(labelNames, (l) => `MATCH (n:${l}) RETURN count(n)`),
        counted(typeNames, (t) => `MATCH ()-[r:${t}]->() RETURN count(r)`),
        keyCounts(),
      ]);
      $("schema-labels").replaceChildren(...labelNames.map((l, i) => chip(l, labelCounts[i], `MATCH (n:${quoteName(l)}) RETURN n LIMIT 25`)));
      $("schema-types").replaceChildren(...typeNames.map((t, i) => chip(t, typeCounts[i], `MATCH p = ()-[r:${quoteName(t)}]->() RETURN p LIMIT 25`)));
      $("schema-keys").replaceChildren(...keys.map(([k]) => chip(k, keyCount ? keyCount.get(k) || 0 : null, `MATCH (n) WHERE n.${quoteName(k)} IS NOT NULL RETURN n LIMIT 25`)));
      // "name: TYPE :Label(key, ...)" for every index and constraint, as SHOW lists them
      const found = [];
      for (const what of ["INDEXES", "CONSTRAINTS"]) {
        const body = await cypher(`SHOW ${what} YIELD name, type, labelsOrTypes, properties`).catch(() => null);
        if (body) {
          body.rows.forEach(([name, type, on, keys]) => found.push(el("li", "",
            `${name}: ${type} ${(on || []).map((l) => ":" + l).join("")}(${(keys || []).join(", ")})`)));
        }
      }
      $("schema-indexes").replaceChildren(...(found.length ? found : [el("li", "", "none")]));
      const fill = (select, names, first) => {
        const none = el("option", "", first);
        none.value = "";
        select.replaceChildren(none, ...names.map((n) => {
          const option = el("option", "", n);
          option.value = n;
          return option;
        }));
      };
      fill($("search-label"), labelNames, "any label");
      fill($("expand-type"), typeNames, "any type");
    } catch (e) {
      $("schema-indexes").replaceChildren(el("li", "", "schema not loaded: " + e.message));
    }
  }

  async function search() {
    const label = $("search-label").value;
    const key = $("search-key").value.trim();
    const raw = $("search-value").value;
    const query = new URLSearchParams({ limit: String(NEIGHBOUR_LIMIT) });
    if (label) query.set("label", label);
    if (key) {
      let value = raw;
      try {
        const parsed = JSON.parse(raw);
        if (typeof parsed !== "object" || parsed === null) value = parsed; // numbers, booleans, null
      } catch { /* a plain string */ }
      query.set("metadata", JSON.stringify({ [key]: value }));
    }
    setStatus("running");
    try {
      const body = await api("substrates?" + query);
      $("summary").textContent = `found ${count(body.count)} nodes`;
      showView("graph");
      await draw(body.substrates, [], true);
    } catch (e) {
      showError(e.body || { detail: String(e) });
      setStatus("error", e.message);
    }
  }

  // ------------------------------------------------------------------ wiring

  function wire() {
    const editor = $("editor");
    editor.addEventListener("input", highlight);
    editor.addEventListener("scroll", () => { $("highlight").scrollTop = editor.scrollTop; });
    for (const box of [editor, $("params")]) {
      box.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          run(editor.value);
        }
      });
    }
    $("run").addEventListener("click", () => run(editor.value));
    $("cancel").addEventListener("click", () => state.controller && state.controller.abort());
    $("history").addEventListener("change", () => {
      if ($("history").value) {
        editor.value = $("history").value;
        highlight();
        editor.focus();
      }
    });
    $("tabs").addEventListener("click", (event) => {
      if (event.target.dataset && event.target.dataset.view) showView(event.target.dataset.view);
    });
    $("fit").addEventListener("click", () => state.network && state.network.fit());
    $("caption").addEventListener("change", () => state.data && state.data.nodes.update([...state.nodes.values()].map(visNode)));
    $("details-close").addEventListener("click", () => { $("details").hidden = true; });
    $("remove").addEventListener("click", () => removeFromView(state.selected));
    $("expand").addEventListener("submit", (event) => {
      event.preventDefault();
      expand(state.selected, $("expand-direction").value, $("expand-type").value);
    });
    $("invoke").addEventListener("submit", (event) => {
      event.preventDefault();
      invoke();
    });
    $("search").addEventListener("submit", (event) => {
      event.preventDefault();
      search();
    });
    $("schema-refresh").addEventListener("click", loadSchema);
    $("key-button").addEventListener("click", () => askKey("Enter the API key to send with every request."));
  }

  async function start() {
    wire();
    renderHistory();
    const query = new URLSearchParams(location.search).get("query");
    if (query !== null) $("editor").value = query;
    highlight();
    api("health").then((health) => {
      if (health.read_only) {
        $("mode").textContent = "read-only server";
        $("mode").hidden = false;
      }
    }, () => {});
    if (query !== null) await run(query);
    await loadSchema();
  }

  // For scripts driving the page (the repo's browser tests, screenshots and benchmark): the network
  // (to find where a node is drawn) and run().
  window.bfxdbExplorer = { run, get network() { return state.network; } };
  start();
})();
