"""Browser tests of the kiosk (/kiosk/) and the kitchen display (/cozinha/), in Debian's
headless Chromium driven through chromedriver, against the stack `make run` starts (the
app, the auth function, moto, PostgreSQL): what a customer and the kitchen staff do.

Run by .ci/local-stack.sh when POSTECH_RUN_BROWSER=1 (the root test command sets it), with
POSTECH_APP_URL, POSTECH_ADMIN_USERNAME, POSTECH_ADMIN_PASSWORD and POSTECH_ARTEFACTS_DIR
(screenshots) in the environment. Ends with "browser tests: N passed, N failed".
"""

import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

APP = os.environ["POSTECH_APP_URL"].rstrip("/")
ADMIN_USERNAME = os.environ["POSTECH_ADMIN_USERNAME"]
ADMIN_PASSWORD = os.environ["POSTECH_ADMIN_PASSWORD"]
ARTEFACTS = os.environ["POSTECH_ARTEFACTS_DIR"]
# An upper bound for each wait on a slow CI machine; a wait ends as soon as its witness shows.
PATIENCE = 30


def browser():
    """A fresh headless Chromium with the flags this closed network needs."""
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="postech-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1366,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    driver.profile_dir = profile
    return driver


def close(driver):
    profile = driver.profile_dir
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait(driver, condition, what):
    try:
        return WebDriverWait(driver, PATIENCE, poll_frequency=0.1).until(lambda d: condition(d))
    except TimeoutException:
        screenshot(driver, f"failed-{what.replace(' ', '-')[:40]}")
        raise AssertionError(f"not seen within {PATIENCE} s: {what}") from None


def visible(driver, css):
    elements = driver.find_elements(By.CSS_SELECTOR, css)
    return elements[0] if elements and elements[0].is_displayed() else None


def text_of(driver, css):
    element = visible(driver, css)
    return element.text if element else None


def screenshot(driver, name):
    os.makedirs(ARTEFACTS, exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    path = os.path.join(ARTEFACTS, f"{name}.png")
    driver.save_screenshot(path)
    print(f"  screenshot {path}")
    return path


def assert_no_policy_violation(driver):
    """The pages run under a strict Content-Security-Policy: nothing of theirs may be blocked."""
    problems = [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and ("Content Security Policy" in entry["message"] or "Refused" in entry["message"])
    ]
    assert not problems, problems


def api(method, path, body=None, token=None):
    request = urllib.request.Request(f"{APP}{path}", method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data, timeout=PATIENCE) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def valid_cpf():
    """A CPF nobody registered yet, with correct check digits."""
    while True:
        base = [random.randrange(10) for _ in range(9)]
        if len(set(base)) > 1:
            break
    for weight_of_first in (10, 11):
        total = sum(d * (weight_of_first - i) for i, d in enumerate(base))
        base.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(map(str, base))


def add_to_cart(kiosk, category, product):
    kiosk.find_element(By.CSS_SELECTOR, f'#categorias button[data-categoria="{category}"]').click()
    button = wait(kiosk, lambda d: visible(d, f'article[data-produto="{product}"] button'), f"{product} on the menu")
    button.click()
    wait(kiosk, lambda d: visible(d, f'#itens li[data-item="{product}"]'), f"{product} in the cart")


def card_in(kitchen, column, number):
    return visible(kitchen, f'.coluna[data-status="{column}"] li.cartao[data-numero="{number}"]')


def log_in_to_the_kitchen(kitchen):
    kitchen.get(f"{APP}/cozinha/")
    wait(kitchen, lambda d: visible(d, "#usuario"), "the login form")
    kitchen.find_element(By.ID, "usuario").send_keys(ADMIN_USERNAME)
    kitchen.find_element(By.ID, "senha").send_keys(ADMIN_PASSWORD)
    kitchen.find_element(By.ID, "entrar").click()
    wait(kitchen, lambda d: visible(d, "#quadro"), "the kitchen board after login")
    wait(kitchen, lambda d: text_of(d, "#conexao") == "Ao vivo", "the event stream connected")


def a_customer_orders_two_items_pays_and_follows_the_kitchen_moving_the_order():
    kiosk, kitchen = browser(), browser()
    try:
        kiosk.get(f"{APP}/kiosk/")
        wait(kiosk, lambda d: visible(d, "article.produto"), "the menu")
        add_to_cart(kiosk, "Lanche", "X-Burguer")
        add_to_cart(kiosk, "Acompanhamento", "Batata Frita")
        assert len(kiosk.find_elements(By.CSS_SELECTOR, "#itens li")) == 2
        screenshot(kiosk, "kiosk-cardapio")
        kiosk.find_element(By.ID, "finalizar").click()

        wait(kiosk, lambda d: visible(d, "#tela-pagamento"), "the payment screen")
        wait(
            kiosk,
            lambda d: d.execute_script("const i = document.getElementById('qrcode'); return i.complete && i.naturalWidth > 100;"),
            "the QR code picture",
        )
        number = wait(kiosk, lambda d: text_of(d, "#pagamento-numero"), "the order number")
        countdown = wait(kiosk, lambda d: text_of(d, "#contagem"), "the countdown")
        assert len(countdown) == 5 and countdown[2] == ":", countdown
        assert visible(kiosk, "#simular"), "the simulated provider offers its demo button"
        screenshot(kiosk, "kiosk-qrcode")

        # The customer pays on their phone: the simulated provider approves, and the kiosk,
        # polling the payment status, turns to "pago" with the order number.
        orders = api("GET", "/v1/api/admin/pedidos/", token=admin_token())
        order_id = next(o["id"] for o in orders if str(o["numero"]) == number)
        api("POST", f"/v1/api/pagamentos/simulador/{order_id}/aprovar")
        wait(kiosk, lambda d: visible(d, "#tela-pedido"), "the paid screen")
        assert "pago" in text_of(kiosk, "#titulo-pedido").lower()
        assert text_of(kiosk, "#pedido-numero") == number
        wait(kiosk, lambda d: text_of(d, "#pedido-status") == "Pago", "status Pago on the kiosk")
        screenshot(kiosk, "kiosk-pago")

        log_in_to_the_kitchen(kitchen)
        wait(kitchen, lambda d: card_in(d, "Pago", number), "the paid order in the Pago column")
        screenshot(kitchen, "cozinha-pago")
        for source, target in (("Pago", "Em preparação"), ("Em preparação", "Pronto")):
            card = card_in(kitchen, source, number)
            card.find_element(By.CSS_SELECTOR, f'button[data-para="{target}"]').click()
            wait(kitchen, lambda d: card_in(d, target, number), f"the order in the {target} column")
            wait(kiosk, lambda d: text_of(d, "#pedido-status") == target, f"the kiosk showing {target}")
        screenshot(kitchen, "cozinha-pronto")
        screenshot(kiosk, "kiosk-pronto")
        assert_no_policy_violation(kiosk)
        assert_no_policy_violation(kitchen)
    finally:
        close(kiosk)
        close(kitchen)


def a_customer_identifies_with_a_masked_cpf_checked_in_the_browser():
    kiosk = browser()
    try:
        kiosk.get(f"{APP}/kiosk/")
        field = wait(kiosk, lambda d: visible(d, "#cpf"), "the CPF field")
        field.send_keys("29141777630")
        assert field.get_attribute("value") == "291.417.776-30", field.get_attribute("value")
        kiosk.find_element(By.ID, "identificar").click()
        wait(kiosk, lambda d: "inválido" in (text_of(d, "#cpf-mensagem") or ""), "the refusal of a wrong CPF")
        field.clear()
        cpf = valid_cpf()
        field.send_keys(cpf)
        assert field.get_attribute("value") == f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
        kiosk.find_element(By.ID, "identificar").click()
        # Unknown to Cognito: the kiosk offers to register, then logs in (the auth function,
        # another origin in `make run`: CORS).
        wait(kiosk, lambda d: visible(d, "#cadastro"), "the offer to register")
        kiosk.find_element(By.ID, "nome").send_keys("Joana Teste")
        kiosk.find_element(By.ID, "cadastrar").click()
        # A CPF-only (kiosk) token sees personal data masked: the greeting has the first name only.
        wait(kiosk, lambda d: text_of(d, "#saudacao") == "Olá, Joana!", "the greeting after login")
        assert_no_policy_violation(kiosk)
    finally:
        close(kiosk)


_admin = {}


def admin_token():
    if "token" not in _admin:
        auth_url = os.environ["POSTECH_AUTH_URL"].rstrip("/")
        request = urllib.request.Request(f"{auth_url}/auth/admin", method="POST")
        request.add_header("Content-Type", "application/json")
        body = json.dumps({"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).encode()
        with urllib.request.urlopen(request, body, timeout=PATIENCE) as response:
            _admin["token"] = json.loads(response.read())["access_token"]
    return _admin["token"]


def the_kitchen_display_shows_a_new_order_as_soon_as_it_is_placed():
    kitchen = browser()
    try:
        log_in_to_the_kitchen(kitchen)
        products = api("GET", "/v1/api/produtos/?categoria=bebida")
        order = api(
            "POST",
            "/v1/api/pedidos/",
            {"itens": [{"produto_id": products[0]["id"], "quantidade": 2}], "observacoes": "sem gelo"},
        )
        card = wait(kitchen, lambda d: card_in(d, "Recebido", order["numero"]), "the new order on the board")
        assert "sem gelo" in card.text
        assert [b.get_attribute("data-para") for b in card.find_elements(By.CSS_SELECTOR, "button")] == ["Pago", "Cancelado"]
        assert text_of(kitchen, "#conexao") == "Ao vivo", "updated by the event stream, not by polling"
    finally:
        close(kitchen)


TESTS = (
    a_customer_orders_two_items_pays_and_follows_the_kitchen_moving_the_order,
    a_customer_identifies_with_a_masked_cpf_checked_in_the_browser,
    the_kitchen_display_shows_a_new_order_as_soon_as_it_is_placed,
)


def main():
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium fetch a driver or browser
    passed = failed = 0
    for test in TESTS:
        started = time.monotonic()
        try:
            test()
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            failed += 1
            print(f"FAIL {test.__name__} ({time.monotonic() - started:.1f} s)")
            traceback.print_exc()
        else:
            passed += 1
            print(f"PASS {test.__name__} ({time.monotonic() - started:.1f} s)")
    print(f"browser tests: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
