// The kitchen display: admin login, the queue as columns (Pronto, Em preparação, Pago,
// Recebido; oldest first), buttons for the allowed next status only, kept up to date by the
// kitchen event stream — or, while the stream cannot be had, by polling the kitchen list.
import { api, ApiError, auth, el, show } from "./api.js";
import { readEventStream } from "./event-stream.js";

const STREAM_URL = "/v1/api/admin/pedidos/eventos";
const LIST_URL = "/v1/api/admin/pedidos/";
const COLUMNS = ["Pronto", "Em preparação", "Pago", "Recebido"];
const CLOSED = new Set(["Finalizado", "Cancelado"]);
// The moves the contract allows, as buttons (the next status, and cancelling while allowed).
const NEXT = {
  Recebido: [["Pago", "Marcar como pago"], ["Cancelado", "Cancelar"]],
  Pago: [["Em preparação", "Iniciar preparo"], ["Cancelado", "Cancelar"]],
  "Em preparação": [["Pronto", "Pronto"]],
  Pronto: [["Finalizado", "Entregue"]],
};
// Minutes since the order was placed after which its card turns amber, then red.
const ATTENTION_MINUTES = 8;
const LATE_MINUTES = 15;
const POLL_MS = 5000;
const STREAM_RETRY_MS = [1000, 2000, 5000, 10000, 30000];
const TOKEN_KEY = "postech-cozinha-token";

const $ = (id) => document.getElementById(id);

const board = {
  orders: new Map(), // id → order body
  token: sessionStorage.getItem(TOKEN_KEY),
  lastEventId: "",
  running: null, // AbortController of the live connection loop
};

function notice(text) {
  $("aviso").textContent = text;
  $("aviso").hidden = !text;
}

function connection(text, kind) {
  const node = $("conexao");
  node.textContent = text;
  node.className = `conexao ${kind}`;
}

// --- login ----------------------------------------------------------------------------

function showLogin(text = "") {
  board.running?.abort();
  board.running = null;
  board.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $("login-mensagem").textContent = text;
  $("sair").hidden = true;
  connection("Desconectado", "");
  show($("tela-login"), $("quadro"));
  $("usuario").focus();
}

async function logIn(event) {
  event.preventDefault();
  const username = $("usuario").value.trim();
  const password = $("senha").value;
  if (!username || !password) {
    $("login-mensagem").textContent = "Informe usuário e senha.";
    return;
  }
  try {
    const answer = await auth("/auth/admin", { username, password });
    board.token = answer.access_token;
  } catch (error) {
    $("login-mensagem").textContent =
      error instanceof ApiError && error.status === 401 ? "Usuário ou senha inválidos." : error.message;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, board.token);
  $("senha").value = "";
  start();
}

// --- the board ------------------------------------------------------------------------

function elapsed(order) {
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(order.data_criacao)) / 1000));
  return { seconds, text: `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}` };
}

function lateness(seconds) {
  if (seconds >= LATE_MINUTES * 60) return "atrasado";
  if (seconds >= ATTENTION_MINUTES * 60) return "atencao";
  return "";
}

function card(order) {
  const { seconds, text } = elapsed(order);
  const buttons = (NEXT[order.status] ?? []).map(([target, label]) =>
    el(
      "button",
      {
        type: "button",
        class: target === "Cancelado" ? "perigo" : "",
        dataset: { para: target },
        onclick: (event) => move(order, target, event.currentTarget),
      },
      label,
    ),
  );
  return el(
    "li",
    { class: `cartao ${lateness(seconds)}`.trim(), dataset: { pedidoId: order.id, numero: String(order.numero) }, tabindex: "-1" },
    el(
      "header",
      {},
      el("span", { class: "numero" }, `Nº ${order.numero}`),
      el("span", { class: "tempo", title: "Tempo desde o pedido" }, text),
    ),
    order.cliente_nome ? el("p", {}, order.cliente_nome) : null,
    el("ul", {}, order.itens.map((item) => el("li", {}, `${item.quantidade}× ${item.produto_nome}`))),
    order.observacoes ? el("p", { class: "observacoes" }, order.observacoes) : null,
    el("div", { class: "botoes" }, buttons),
  );
}

function render() {
  for (const column of document.querySelectorAll(".coluna")) {
    const status = column.dataset.status;
    const orders = [...board.orders.values()]
      .filter((order) => order.status === status)
      .sort((a, b) => Date.parse(a.data_criacao) - Date.parse(b.data_criacao) || a.numero - b.numero);
    column.querySelector("ol").replaceChildren(...orders.map(card));
    column.querySelector(".contador").textContent = String(orders.length);
  }
}

// Only the clocks and colours change every second; the cards are rebuilt on changes.
function tickClocks() {
  for (const node of document.querySelectorAll(".cartao")) {
    const order = board.orders.get(node.dataset.pedidoId);
    if (!order) continue;
    const { seconds, text } = elapsed(order);
    node.querySelector(".tempo").textContent = text;
    node.classList.toggle("atencao", lateness(seconds) === "atencao");
    node.classList.toggle("atrasado", lateness(seconds) === "atrasado");
  }
}

function replaceAll(orders) {
  board.orders = new Map(orders.filter((order) => !CLOSED.has(order.status)).map((order) => [order.id, order]));
  render();
}

function apply(order) {
  if (CLOSED.has(order.status)) board.orders.delete(order.id);
  else board.orders.set(order.id, order);
  render();
}

async function move(order, target, button) {
  if (target === "Cancelado" && button.dataset.confirmar !== "1") {
    button.dataset.confirmar = "1";
    button.textContent = "Confirmar cancelamento";
    setTimeout(() => render(), 4000);
    return;
  }
  button.disabled = true;
  try {
    const moved = await api(`/v1/api/admin/pedidos/${order.id}/status`, {
      method: "PATCH",
      body: { status: target },
      token: board.token,
    });
    apply(moved);
    notice("");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showLogin("Sessão expirada: entre novamente.");
    notice(`Pedido ${order.numero}: ${error.message}`);
    await refreshList();
  }
}

async function refreshList() {
  try {
    replaceAll(await api(LIST_URL, { token: board.token }));
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showLogin("Sessão expirada: entre novamente.");
    return false;
  }
}

// --- keeping up to date ---------------------------------------------------------------

function onEvent(event) {
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    return;
  }
  if (event.type === "fila") replaceAll(data.pedidos);
  else if (event.type === "pedido") apply(data.pedido);
  else if (event.type === "encerrado") board.closedBecause = data.motivo;
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });

// The stream when it works; polling the list meanwhile when it does not.
async function keepUpToDate(signal) {
  let failures = 0;
  while (!signal.aborted) {
    board.closedBecause = null;
    const { status, lastEventId } = await readEventStream(STREAM_URL, {
      token: board.token,
      lastEventId: board.lastEventId,
      signal,
      onOpen: () => {
        failures = 0;
        connection("Ao vivo", "ao-vivo");
      },
      onEvent,
    });
    if (signal.aborted) return;
    board.lastEventId = lastEventId;
    if (status === 401 || board.closedBecause === "token_expirado") {
      showLogin("Sessão expirada: entre novamente.");
      return;
    }
    if (status === 200) {
      // The server ended the stream (it says why in `encerrado`): resume from the last id.
      await sleep(1000, signal);
      continue;
    }
    failures += 1;
    connection("Atualização a cada 5 s", "periodica");
    const wait = STREAM_RETRY_MS[Math.min(failures - 1, STREAM_RETRY_MS.length - 1)];
    // Poll the list while waiting to retry the stream.
    const until = Date.now() + wait;
    do {
      await refreshList();
      await sleep(Math.min(POLL_MS, Math.max(0, until - Date.now())), signal);
    } while (!signal.aborted && Date.now() < until);
  }
}

function start() {
  show($("quadro"), $("tela-login"));
  $("sair").hidden = false;
  connection("Conectando…", "");
  board.running?.abort();
  board.running = new AbortController();
  keepUpToDate(board.running.signal);
}

function setup() {
  $("form-login").addEventListener("submit", logIn);
  $("sair").addEventListener("click", () => showLogin());
  setInterval(tickClocks, 1000);
  if (board.token) start();
  else showLogin();
}

setup();
