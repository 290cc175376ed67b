// The kiosk: menu by category, cart, optional CPF identification, checkout with an
// idempotency key, the Pix QR code with its countdown, then the order as the kitchen moves it.
import { api, ApiError, auth, cents, el, money, newKey, show } from "./api.js";
import { CPF_MESSAGES, maskCpf, parseCpf } from "./cpf.js";

const CATEGORY_ORDER = ["Lanche", "Acompanhamento", "Bebida", "Sobremesa"];
const CATEGORY_IMAGES = {
  Lanche: "./lanche.svg",
  Acompanhamento: "./acompanhamento.svg",
  Bebida: "./bebida.svg",
  Sobremesa: "./sobremesa.svg",
};
const MAX_LINES = 20;
const MAX_QUANTITY = 50;
const PAYMENT_POLL_MS = 2000;
const ORDER_POLL_MS = 2000;
const STEPS = ["Recebido", "Pago", "Em preparação", "Pronto", "Finalizado"];

const $ = (id) => document.getElementById(id);

const state = {
  categories: [],
  products: [],
  selectedCategory: null,
  cart: new Map(), // product id → {product, quantity}
  token: null,
  checkoutKey: null, // one key per cart: a retry after a lost answer returns the same order
  order: null,
  payment: null,
  timers: [],
};

function stopTimers() {
  for (const timer of state.timers) clearInterval(timer);
  state.timers = [];
}

function message(id, text, kind = "") {
  const node = $(id);
  node.textContent = text;
  node.className = `mensagem ${kind}`.trim();
}

// --- identification -------------------------------------------------------------------

function setupCpf() {
  const input = $("cpf");
  input.addEventListener("input", () => {
    const masked = maskCpf(input.value);
    if (input.value !== masked) input.value = masked;
    $("cadastro").hidden = true;
    message("cpf-mensagem", "");
  });
  $("form-cpf").addEventListener("submit", async (event) => {
    event.preventDefault();
    const parsed = parseCpf(input.value);
    if (!parsed.ok) {
      message("cpf-mensagem", CPF_MESSAGES[parsed.error], "erro");
      input.focus();
      return;
    }
    await logIn(parsed.digits);
  });
  $("cadastrar").addEventListener("click", async () => {
    const parsed = parseCpf(input.value);
    if (!parsed.ok) return;
    const nome = $("nome").value.trim();
    try {
      await api("/v1/api/clientes/", { method: "POST", body: nome ? { cpf: parsed.digits, nome } : { cpf: parsed.digits } });
    } catch (error) {
      message("cpf-mensagem", error.message, "erro");
      return;
    }
    $("cadastro").hidden = true;
    await logIn(parsed.digits);
  });
}

async function logIn(digits) {
  try {
    const answer = await auth("/auth", { cpf: digits });
    state.token = answer.access_token;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      $("cadastro").hidden = false;
      message("cpf-mensagem", "Não encontramos este CPF. Cadastre-se ou continue sem identificação.");
      $("nome").focus();
    } else {
      message("cpf-mensagem", error.message, "erro");
    }
    return;
  }
  let greeting = "Identificado";
  try {
    const me = await api("/v1/api/clientes/me", { token: state.token });
    if (me.nome) greeting = `Olá, ${me.nome}!`;
  } catch {
    // The name is a courtesy; the token is what matters.
  }
  $("saudacao").textContent = greeting;
  $("form-cpf").hidden = true;
}

// --- menu -----------------------------------------------------------------------------

async function loadMenu() {
  try {
    const [categories, products] = await Promise.all([
      api("/v1/api/categorias/"),
      api("/v1/api/produtos/"),
    ]);
    state.categories = categories.sort(
      (a, b) => CATEGORY_ORDER.indexOf(a.nome) - CATEGORY_ORDER.indexOf(b.nome),
    );
    state.products = products;
    state.selectedCategory =
      state.categories.find((category) => products.some((p) => p.categoria_id === category.id))?.id ??
      state.categories[0]?.id;
    renderCategories();
    renderProducts();
  } catch (error) {
    message("cardapio-mensagem", `Não foi possível carregar o cardápio: ${error.message}`, "erro");
  }
}

function categoryName(id) {
  return state.categories.find((category) => category.id === id)?.nome ?? "";
}

function renderCategories() {
  const tabs = state.categories.map((category) =>
    el(
      "button",
      {
        type: "button",
        role: "tab",
        "aria-selected": String(category.id === state.selectedCategory),
        dataset: { categoria: category.nome },
        onclick: () => {
          state.selectedCategory = category.id;
          renderCategories();
          renderProducts();
        },
      },
      category.nome,
    ),
  );
  $("categorias").replaceChildren(...tabs);
}

function productImage(product) {
  const fallback = CATEGORY_IMAGES[categoryName(product.categoria_id)] ?? "./lanche.svg";
  const image = el("img", {
    src: product.imagem_url && product.imagem_url.startsWith("https://") ? product.imagem_url : fallback,
    alt: product.nome,
    loading: "lazy",
  });
  // A photo that does not load (offline kiosk, broken link) shows the category's picture.
  image.addEventListener("error", () => {
    if (!image.src.endsWith(fallback.slice(1))) image.src = fallback;
  });
  return image;
}

function renderProducts() {
  const visible = state.products.filter((product) => product.categoria_id === state.selectedCategory);
  const cards = visible.map((product) => {
    const soldOut = product.estoque_disponivel <= 0;
    return el(
      "article",
      { class: "produto", dataset: { produto: product.nome } },
      productImage(product),
      el(
        "div",
        { class: "corpo" },
        el("h3", {}, product.nome),
        el("p", { class: "descricao" }, product.descricao),
        el("p", { class: "preco" }, money(cents(product.preco))),
        el(
          "button",
          { type: "button", disabled: soldOut, onclick: () => addToCart(product), "aria-label": `Adicionar ${product.nome}` },
          soldOut ? "Esgotado" : "Adicionar",
        ),
      ),
    );
  });
  $("produtos").replaceChildren(...cards);
}

// --- cart -----------------------------------------------------------------------------

function addToCart(product) {
  const line = state.cart.get(product.id);
  if (!line && state.cart.size >= MAX_LINES) {
    message("carrinho-mensagem", `No máximo ${MAX_LINES} produtos diferentes por pedido.`, "erro");
    return;
  }
  changeQuantity(product, (line?.quantity ?? 0) + 1);
}

function changeQuantity(product, quantity) {
  const limit = Math.min(MAX_QUANTITY, product.estoque_disponivel);
  if (quantity > limit) {
    message("carrinho-mensagem", `Só há ${limit} unidade(s) de ${product.nome}.`, "erro");
    return;
  }
  if (quantity <= 0) state.cart.delete(product.id);
  else state.cart.set(product.id, { product, quantity });
  state.checkoutKey = null; // another cart is another checkout
  message("carrinho-mensagem", "");
  renderCart();
}

function cartTotal() {
  let total = 0;
  for (const { product, quantity } of state.cart.values()) total += cents(product.preco) * quantity;
  return total;
}

function renderCart() {
  const lines = [...state.cart.values()].map(({ product, quantity }) =>
    el(
      "li",
      { dataset: { item: product.nome } },
      el("span", {}, product.nome),
      el("strong", {}, money(cents(product.preco) * quantity)),
      el(
        "span",
        { class: "quantidade" },
        el("button", { type: "button", class: "secundario", "aria-label": `Remover um ${product.nome}`, onclick: () => changeQuantity(product, quantity - 1) }, "−"),
        el("span", { "aria-label": "quantidade" }, String(quantity)),
        el("button", { type: "button", class: "secundario", "aria-label": `Adicionar um ${product.nome}`, onclick: () => changeQuantity(product, quantity + 1) }, "+"),
      ),
    ),
  );
  $("itens").replaceChildren(...lines);
  $("carrinho-vazio").hidden = lines.length > 0;
  $("total").textContent = money(cartTotal());
  $("finalizar").disabled = lines.length === 0;
}

async function checkout() {
  const total = cartTotal();
  if (total < 500) {
    message("carrinho-mensagem", "O pedido mínimo é de R$ 5,00.", "erro");
    return;
  }
  if (total > 100000) {
    message("carrinho-mensagem", "O pedido máximo é de R$ 1.000,00.", "erro");
    return;
  }
  state.checkoutKey ??= newKey();
  const observacoes = $("observacoes").value.trim();
  const body = {
    itens: [...state.cart.values()].map(({ product, quantity }) => ({ produto_id: product.id, quantidade: quantity })),
    ...(observacoes ? { observacoes } : {}),
  };
  $("finalizar").disabled = true;
  message("carrinho-mensagem", "Enviando pedido…");
  try {
    state.order = await api("/v1/api/pedidos/", {
      method: "POST",
      body,
      token: state.token,
      headers: { "Idempotency-Key": state.checkoutKey },
    });
  } catch (error) {
    $("finalizar").disabled = false;
    message("carrinho-mensagem", error.message, "erro");
    return;
  }
  message("carrinho-mensagem", "");
  await showPayment();
}

// --- payment --------------------------------------------------------------------------

async function showPayment() {
  stopTimers();
  show($("tela-pagamento"), $("tela-cardapio"), $("tela-pedido"));
  $("pagamento-numero").textContent = state.order.numero;
  $("pagamento-valor").textContent = money(cents(state.order.valor_total));
  $("novo-qrcode").hidden = true;
  message("pagamento-status", "Gerando o QR code…");
  try {
    state.payment = await api(`/v1/api/pagamentos/${state.order.id}/qrcode`);
  } catch (error) {
    message("pagamento-status", error.message, "erro");
    $("novo-qrcode").hidden = false;
    return;
  }
  const image = $("qrcode");
  image.src = state.payment.qr_code_base64
    ? `data:image/png;base64,${state.payment.qr_code_base64}`
    : `/v1/api/pagamentos/${state.order.id}/qrcode.png`;
  $("copia-cola").value = state.payment.qr_data ?? "";
  message("pagamento-status", "Aguardando pagamento…");
  startCountdown(state.payment.expira_em);
  state.timers.push(setInterval(checkPayment, PAYMENT_POLL_MS));
  $("qrcode").focus?.();
}

function startCountdown(expiresAt) {
  const node = $("contagem");
  if (!expiresAt) {
    node.textContent = "—";
    return;
  }
  const deadline = Date.parse(expiresAt);
  const tick = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    node.textContent = `${String(Math.floor(left / 60)).padStart(2, "0")}:${String(left % 60).padStart(2, "0")}`;
    if (left === 0) {
      message("pagamento-status", "O QR code expirou.", "erro");
      $("novo-qrcode").hidden = false;
    }
  };
  tick();
  state.timers.push(setInterval(tick, 1000));
}

async function checkPayment() {
  let payment;
  try {
    payment = await api(`/v1/api/pagamentos/${state.order.id}/status`);
  } catch {
    return; // the next poll tries again
  }
  switch (payment.status_pagamento) {
    case "aprovado":
      await showOrder();
      break;
    case "rejeitado":
      stopTimers();
      message("pagamento-status", "Pagamento recusado. Tente novamente.", "erro");
      $("novo-qrcode").hidden = false;
      break;
    case "cancelado":
    case "expirado":
      stopTimers();
      message("pagamento-status", "Este pagamento não vale mais. Faça um novo pedido.", "erro");
      break;
    default:
      break;
  }
}

async function simulateApproval() {
  try {
    await api(`/v1/api/pagamentos/simulador/${state.order.id}/aprovar`, { method: "POST" });
  } catch (error) {
    message("pagamento-status", error.message, "erro");
    return;
  }
  await checkPayment();
}

// --- the order after payment ----------------------------------------------------------

async function showOrder() {
  if (!$("tela-pedido").hidden) return;
  stopTimers();
  show($("tela-pedido"), $("tela-cardapio"), $("tela-pagamento"));
  $("pedido-numero").textContent = state.order.numero;
  renderStatus("Pago");
  state.timers.push(setInterval(followOrder, ORDER_POLL_MS));
  await followOrder();
}

function renderStatus(status) {
  $("pedido-status").textContent = status;
  const current = STEPS.indexOf(status);
  const steps = STEPS.slice(1).map((step) => {
    const index = STEPS.indexOf(step);
    const kind = index < current ? "feita" : index === current ? "atual" : "";
    return el("li", { class: kind, "aria-current": index === current ? "step" : null }, step);
  });
  $("etapas").replaceChildren(...steps);
  const notes = {
    Pago: "Pagamento aprovado. A cozinha já recebeu seu pedido.",
    "Em preparação": "Seu pedido está sendo preparado.",
    Pronto: "Seu pedido está pronto! Retire no balcão.",
    Finalizado: "Pedido entregue. Bom apetite!",
    Cancelado: "Seu pedido foi cancelado. Procure o balcão.",
  };
  message("pedido-mensagem", notes[status] ?? "", status === "Pronto" ? "ok" : "");
}

async function followOrder() {
  let order;
  try {
    order = await api(`/v1/api/pedidos/${state.order.id}`, { token: state.token });
  } catch {
    return;
  }
  renderStatus(order.status);
  if (order.status === "Finalizado" || order.status === "Cancelado") stopTimers();
}

function startOver() {
  stopTimers();
  state.cart.clear();
  state.checkoutKey = null;
  state.order = null;
  state.payment = null;
  $("observacoes").value = "";
  renderCart();
  show($("tela-cardapio"), $("tela-pagamento"), $("tela-pedido"));
  loadMenu();
}

async function offerSimulator() {
  try {
    const health = await api("/health");
    $("simular").hidden = health.pagamentos !== "simulado";
  } catch {
    $("simular").hidden = true;
  }
}

function setup() {
  setupCpf();
  $("finalizar").addEventListener("click", checkout);
  $("voltar").addEventListener("click", startOver);
  $("novo-pedido").addEventListener("click", startOver);
  $("novo-qrcode").addEventListener("click", showPayment);
  $("simular").addEventListener("click", simulateApproval);
  $("copiar").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("copia-cola").value);
      message("pagamento-status", "Código copiado.", "ok");
    } catch {
      $("copia-cola").select();
    }
  });
  renderCart();
  loadMenu();
  offerSimulator();
}

setup();
