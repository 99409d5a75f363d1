"""What every page shares: language, database, the signed-in actor, and
showing a refusal in the reader's language. Not a page itself."""
from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from dataclasses import replace

import streamlit as st

import i18n
from surveys.storage import db as database
from surveys.storage import tabular
from surveys import startup
from surveys.collection import autoclose
from surveys.participants import clients
from surveys.core import clock
from surveys.core import counties
from surveys.demo import county as demo
from surveys.demo import guard as demo_guard
from surveys.casework import calendar_admin
from surveys.core.actors import Actor
from surveys.core.errors import ImportRefused, QipingError
from surveys.core.permissions import allowed

SESSION_MINUTES_DEFAULT = 30


def _server_log() -> None:
    """Qiping's warnings for the operator (logger "qiping") go to the server's output."""
    logger = logging.getLogger("qiping")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


_server_log()


def lang() -> str:
    return st.session_state.get("lang", i18n.DEFAULT_LANGUAGE)


def tr(key: str, **values) -> str:
    """The current language's text for ``key``."""
    return i18n.t(key, lang(), **values)


# --- names and free text in Markdown ---------------------------------------------------
# st.markdown, st.write, st.caption, titles, headers, alerts (st.info …), widget labels and
# help, metric labels, radio options, tabs and expanders all render Markdown. A name or
# anything a user typed goes there only through ``md`` (or ``tr_md``), so that an agency
# named "Acme ![x](http://…)" shows as typed and no viewer's browser loads that address.
# Plain-text places (st.text, st.dataframe cells, select box options) take names as they are.

# The ASCII punctuation that starts a Markdown construct anywhere in a line (a link or image needs
# "[", so "(", ")" and "!" stay as they are), what starts one at a line's beginning (a list, a
# heading, a quote) and a directive or shortcode (":red[", ":smile:").
# Nothing else is escaped: a label is also an element's accessible name, read out with its backslashes.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<|~$&]|(?<=^)[-+=#>]|(?<=\n)[-+=#>]|(?<=^\d)\.|(?<=\d)\.(?=\s)"
                                   r"|:(?=[\w+-]+[\[:]))")
# GitHub-flavoured Markdown also turns bare "http://…", "www.…" and "a@b.c" into links, after
# escapes are resolved; an invisible word joiner (U+2060) in front of ":", "." and "@" stops it.
_BARE_LINK = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def md(text) -> str:
    """``text`` escaped for Markdown: CommonMark shows any backslash-escaped ASCII
    punctuation literally, so no link, image, emphasis, HTML, directive (``:red[…]``)
    or formula can be formed from it; bare addresses are kept from becoming links."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", _BARE_LINK.sub(WORD_JOINER, str(text)))


def tr_md(key: str, **values) -> str:
    """``tr`` for a Markdown place: the catalogue's words as written, every text value escaped."""
    return tr(key, **{name: md(value) if isinstance(value, str) else value for name, value in values.items()})


def table_upload(label: str, key: str):
    """A CSV/Excel uploader whose stated limit is the one the import enforces
    (tabular.MAX_BYTES), so the box never promises a size the app then refuses."""
    return st.file_uploader(label, type=["csv", "xlsx"], key=key,
                            max_upload_size=tabular.MAX_BYTES // (1024 * 1024))


@st.cache_resource(show_spinner=False)
def _prepared(path: str, demo_seed: int | None = None, county_name: str | None = None,
              county_slug: str | None = None) -> bool:
    """Migrate, load questionnaires and build the demo county once per process and database,
    and start the check that closes rounds at the end of their closing date."""
    startup.prepare(path, demo_seed=demo_seed, county_name=county_name, county_slug=county_slug).close()
    autoclose.start(path)
    return True


# --- several counties (surveys/core/counties.py) ---------------------------------------------
# A browser session belongs to one county, chosen by the address (?county=<slug>) at the session's
# first run and kept in the session from then on, through sign-out: the address is not read again,
# so changing it cannot move a session — signed in or not — to another county's file. A new county
# is a new browser session (opening the other county's address loads the app afresh).
COUNTY = "county"  # session key: this session's county slug
COUNTY_PARAM = "county"  # the address's query parameter


class NoCounty(QipingError):
    """A deployment of several counties reached without a county (the entry script asks first)."""

    def __init__(self):
        super().__init__("counties.choose")


def county() -> counties.County | None:
    """This session's county; None in a single-county deployment or before one is chosen."""
    known = counties.load()
    if known is None:
        return None
    slug = st.session_state.get(COUNTY)
    if slug is None:
        chosen = counties.county_for(st.query_params.get(COUNTY_PARAM), known)
        if chosen is not None:
            st.session_state[COUNTY] = chosen.slug
        return chosen
    return known.get(slug)


def _prepare_every_county(known: dict[str, counties.County]) -> None:
    """Every county's file ready and its background checks running from the first visit to any:
    a round closes at the end of its closing date in a county nobody has opened since the start."""
    for place in known.values():
        if place.is_city:
            _prepared_city(str(place.db))
        else:
            _prepared(str(place.db), place.demo_seed, place.name, place.slug)


def county_ready() -> bool:
    """Whether this session may open a database: always for one county; for several, once its
    county is fixed. The address is made to show the session's county (a reload stays there)."""
    known = counties.load()
    if known is None:
        return True
    _prepare_every_county(known)
    here = county()
    if here is None:
        if st.session_state.pop(COUNTY, None) is not None:  # a county no longer configured
            sign_out()
        return False
    if st.query_params.get(COUNTY_PARAM) != here.slug:
        st.query_params[COUNTY_PARAM] = here.slug
    return True


def db_path() -> str:
    """This session's database file: its county's, or QIPING_DB in a single-county deployment."""
    if counties.load() is None:
        return str(database.database_path())
    here = county()
    if here is None:
        raise NoCounty()
    return str(here.db)


@st.cache_resource(show_spinner=False)
def _prepared_city(path: str) -> bool:
    """A city office's own database, once per process (surveys/startup.py prepare_city)."""
    startup.prepare_city(path).close()
    return True


def db():
    """A connection for this script run (sqlite connections are not shared across threads)."""
    path = db_path()
    here = county()
    if here is None:
        _prepared(path)
    elif here.is_city:
        _prepared_city(path)
    else:
        _prepared(path, here.demo_seed, here.name, here.slug)
    return database.connect(path)


def actor() -> Actor | None:
    return st.session_state.get("actor")


def sign_in(who: Actor) -> None:
    st.session_state["actor"] = who
    st.session_state["last_seen"] = clock.now().timestamp()


LINK_USED = "link_sign_in_used"  # this browser session has used a letter's link (app_pages/shared/sign_in.py)
KEPT_AT_SIGN_OUT = ("lang", "client_id", LINK_USED, COUNTY)


def sign_out(reason_key: str | None = None) -> None:
    for key in list(st.session_state.keys()):
        if key not in KEPT_AT_SIGN_OUT:
            del st.session_state[key]
    if reason_key:
        st.session_state["signed_out_reason"] = reason_key


def session_minutes() -> int:
    return int(os.environ.get("QIPING_SESSION_MINUTES", SESSION_MINUTES_DEFAULT))


def end_idle_session() -> None:
    """Sign out a session that has been idle longer than QIPING_SESSION_MINUTES."""
    now = clock.now().timestamp()  # the services' clock, so that tests can move it
    last = st.session_state.get("last_seen")
    if actor() is not None and last is not None and now - last > session_minutes() * 60:
        sign_out("signin.idle_signed_out")
    else:
        st.session_state["last_seen"] = now


def end_deactivated_session(conn=None) -> None:
    """An account deactivated while signed in stops working at its next click
    (``conn``: this run's connection, if the caller has one)."""
    from surveys.participants.accounts import still_active

    who = actor()
    if who is not None and not still_active(conn or db(), who):
        sign_out("signin.deactivated_signed_out")


def end_superseded_session(conn=None) -> None:
    """A session opened with a password or access code that has since been changed
    (reset or rotated by the administrator, or changed in another session) ends at
    its next click."""
    from surveys.participants.accounts import credential_stamp

    who = actor()
    if who is None:
        return
    current = credential_stamp(conn or db(), who)
    if who.credential_stamp is None:
        # an actor placed in the session without signing in (page tests) takes the current one
        st.session_state["actor"] = replace(who, credential_stamp=current)
    elif who.credential_stamp != current:
        sign_out("signin.credential_changed_signed_out")


def keep_session(who: Actor) -> None:
    """This session's own password change: it stays signed in with the new stamp."""
    st.session_state["actor"] = who


def _forwarded_for() -> list[str]:
    headers = st.context.headers
    values = headers.get_all("X-Forwarded-For") if headers else []
    return [value for value in values if isinstance(value, str)]


def _peer_address() -> str | None:
    ip = st.context.ip_address  # None on loopback; not a str under AppTest
    return ip if isinstance(ip, str) and ip else None


def warn_missing_calendar() -> None:
    """The administrator and the discipline office are told when deadlines fall back to Monday–Friday."""
    who = actor()
    if who is None or not allowed(who, "calendar.view"):
        return
    years = calendar_admin.calendar_warning(db(), who)
    if years:
        st.warning(tr("calendar.warning_missing", years="、".join(str(y) for y in years)),
                   icon=":material/event_busy:")


def client_key() -> str:
    """Whom sign-in failures are counted against: the client's address when known
    (behind QIPING_TRUSTED_PROXY proxies, the hop the outermost one appended to
    X-Forwarded-For), else this browser session — which a reload renews."""
    address = clients.client_address(_forwarded_for(), _peer_address(), clients.trusted_proxies())
    if address:
        return f"ip:{address}"
    st.session_state.setdefault("client_id", secrets.token_hex(8))
    return f"session:{st.session_state['client_id']}"


def warn_if_proxy_unconfigured() -> None:
    """Say in the server's log, once, that requests come through a reverse proxy
    while QIPING_TRUSTED_PROXY is not set."""
    clients.proxy_warning.check(_forwarded_for(), clients.trusted_proxies())


def demo_exposure() -> str:
    """Whether this is the demo, and whether it may be seen beyond this computer
    (surveys.demo.guard); a public demo is named once in the server's log."""
    address = st.get_option("server.address")
    state = demo_guard.exposure(demo.demo_enabled(), address, demo_guard.public_allowed())
    demo_guard.say_once(state, address)
    return state


def demo_banner(state: str) -> None:
    """On every page of the demo: it is not a deployment; and on the network, it refuses."""
    if state == demo_guard.NOT_DEMO:
        return
    st.warning(tr("demo_mode.banner"), icon=":material/science:")
    if state == demo_guard.REFUSED:
        st.error(tr("demo_mode.refused"))
        st.stop()


def pick(label: str, options: list, format_func, key: str, **kwargs):
    """A select box whose choice survives changes of its option texts.

    Streamlit keeps a keyed select box's choice by the option's text, so when a
    label changes (a case's status after a step, or the language) the choice
    falls back to the first option. The choice is kept under ``key`` instead,
    and the widget's own key follows the texts, so it is rebuilt when they change.
    """
    chosen = st.session_state.get(key)
    if chosen not in options:
        chosen = options[0]
    texts = repr([format_func(option) for option in options])
    widget_key = f"{key}:{hashlib.sha1(texts.encode()).hexdigest()[:12]}"
    value = st.selectbox(label, options, index=options.index(chosen), format_func=format_func,
                         key=widget_key, **kwargs)
    st.session_state[key] = value
    return value


def run_step(step, *args, done: str, flash: str = "flash") -> None:
    """Call a service as the signed-in user: on success rerun and show ``done``
    (see ``show_flash``); on refusal say why now."""
    try:
        step(db(), actor(), *args)
    except QipingError as error:
        show_error(error)
    else:
        st.session_state[flash] = done
        st.rerun()


def show_flash(flash: str = "flash") -> None:
    if flash in st.session_state:
        st.success(st.session_state.pop(flash))


def show_error(error: QipingError) -> None:
    st.error(error.message(lang(), quote=md))
    if isinstance(error, ImportRefused):
        st.dataframe(
            [{tr("import.problem"): text} for text in error.details(lang())],
            hide_index=True,
        )




def format_date(value) -> str:
    """A county date in the reader's language (see ``clock.format_date``)."""
    return clock.format_date(value, lang())


def format_datetime(value) -> str:
    """A stored moment in county time, in the reader's language."""
    return clock.format_datetime(value, lang())



# --- Streamlit's own texts in the reader's language ---------------------------------------
# Streamlit writes some texts itself, in English: the file uploader's button, drop hint and size
# limit, a multiselect's placeholder, "Select all" and "No results", a text box's "Press Enter to
# apply". Widgets that take a placeholder get one from the catalogue; the rest are replaced in
# the browser by ``builtin_texts``: a script that rewrites exactly these texts (whole text nodes
# inside Streamlit's widgets and drop-downs, nothing else) with the catalogue's words, and puts
# the originals back when the reader switches to English.

BUILTIN_TEXTS = {  # Streamlit's English text -> catalogue key
    "Upload": "streamlit.upload", "Upload directories": "streamlit.upload_directories",
    "Drag and drop a file here": "streamlit.drag_file", "Drag and drop files here": "streamlit.drag_files",
    "Drag and drop directories here": "streamlit.drag_directories",
    "Choose an option": "streamlit.choose_option", "Choose options": "streamlit.choose_options",
    "Choose or add an option": "streamlit.choose_or_add_option",
    "Choose or add options": "streamlit.choose_or_add_options", "No options to select": "streamlit.no_options",
    "Select all": "streamlit.select_all", "No results": "streamlit.no_results",
    "Press Enter to apply": "streamlit.press_enter_apply", "Press Enter to submit form": "streamlit.press_enter_submit",
    "Press Ctrl+Enter to apply": "streamlit.press_ctrl_enter_apply",
    "Press Ctrl+Enter to submit form": "streamlit.press_ctrl_enter_submit",
    "Press ⌘+Enter to apply": "streamlit.press_cmd_enter_apply",
    "Press ⌘+Enter to submit form": "streamlit.press_cmd_enter_submit",
    # names read out by screen readers (aria-label, placeholder)
    "Open": "streamlit.open", "Clear all": "streamlit.clear_all", "Clear value": "streamlit.clear_value",
    "Selected values": "streamlit.selected_values", "Add files": "streamlit.add_files",
    "file upload": "streamlit.file_upload",
}
# texts with a figure in them: a JavaScript pattern over the whole text, and the key with its value's name
BUILTIN_PATTERNS = [(r"^(.+) per file$", "streamlit.per_file", "size"),
                    (r"^Select (\d+) matches$", "streamlit.select_matches", "count")]
BUILTIN_PLACES = ", ".join(f'[data-testid="{name}"]' for name in (
    "stFileUploader", "stMultiSelect", "stSelectbox", "stMultiSelectDropdown", "stSelectboxVirtualDropdown",
    "InputInstructions")) + ', [data-baseweb="popover"], [role="listbox"]'

_BUILTIN_SCRIPT = """<script>
(() => {
  const config = %s;
  window.__qipingBuiltin = config;
  if (window.__qipingBuiltinApply) { window.__qipingBuiltinApply(document.body); return; }
  const written = new WeakMap();  // text node -> [Streamlit's text, ours]
  const inPlace = (node) => node.parentElement && node.parentElement.closest(config.places);
  function translated(text) {
    const c = window.__qipingBuiltin, t = text.trim();
    if (Object.prototype.hasOwnProperty.call(c.exact, t)) return c.exact[t];
    for (const [source, words, name] of c.patterns) {
      const m = t.match(new RegExp(source));
      if (m) return words.split("{" + name + "}").join(m[1]);
    }
    return null;
  }
  function fix(node) {
    if (node.nodeType !== 3 || !inPlace(node)) return;
    const c = window.__qipingBuiltin, mine = written.get(node);
    if (c.lang !== "zh") {
      if (mine && node.nodeValue === mine[1]) node.nodeValue = mine[0];
      return;
    }
    const words = translated(node.nodeValue);
    if (words !== null && words !== node.nodeValue) {
      written.set(node, [node.nodeValue, words]);
      node.nodeValue = words;
    }
  }
  const ATTRIBUTES = ["placeholder", "aria-label"];
  function fixAttribute(element, name) {
    const value = element.getAttribute(name);
    if (value === null || !element.closest(config.places)) return;
    const c = window.__qipingBuiltin, key = "qipingOriginal" + (name === "placeholder" ? "Placeholder" : "Label");
    if (c.lang !== "zh") {
      if (element.dataset[key] !== undefined && value === translated.last[element.dataset[key]]) {
        element.setAttribute(name, element.dataset[key]);
      }
      return;
    }
    const words = translated(value);
    if (words !== null && words !== value) {
      element.dataset[key] = value;
      translated.last[value] = words;
      element.setAttribute(name, words);
    }
  }
  translated.last = {};
  function apply(root) {
    if (!root) return;
    if (root.nodeType === 3) { fix(root); return; }
    if (root.nodeType !== 1) return;
    for (const element of [root, ...root.querySelectorAll("[placeholder], [aria-label]")]) {
      ATTRIBUTES.forEach((name) => fixAttribute(element, name));
    }
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) fix(n);
  }
  window.__qipingBuiltinApply = apply;
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "characterData") fix(change.target);
      else if (change.type === "attributes") fixAttribute(change.target, change.attributeName);
      else change.addedNodes.forEach(apply);
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true,
                              attributeFilter: ATTRIBUTES});
  apply(document.body);
})();
</script>"""


def builtin_texts() -> None:
    """Streamlit's own English texts in the reader's language (see BUILTIN_TEXTS); call once per page."""
    import json

    config = {
        "lang": lang(), "places": BUILTIN_PLACES,
        "exact": {english: tr(key) for english, key in BUILTIN_TEXTS.items()},
        "patterns": [[source, tr(key, **{name: "{" + name + "}"}), name] for source, key, name in BUILTIN_PATTERNS],
    }
    st.html(_BUILTIN_SCRIPT % json.dumps(config, ensure_ascii=False).replace("</", "<\\/"),
            unsafe_allow_javascript=True, width="content")


# --- phone-first helpers (the enterprise's survey, issue 13) ------------------------------

def session_still_valid(conn=None) -> bool:
    """The checks streamlit_app.py makes on every whole run, for an st.fragment's own
    reruns (which skip the entry script): idle, deactivated, superseded. Signed out by one
    of them, the caller reruns the whole app (``st.rerun()``), which shows the sign-in page.
    ``conn``: the fragment's connection, if it has one."""
    end_idle_session()
    end_deactivated_session(conn)
    end_superseded_session(conn)
    return actor() is not None


def style(css: str) -> None:
    """The app's own CSS (no user text in it); takes no space on the page."""
    st.html(f"<style>{css}</style>")


def scroll_to(container_key: str, nonce: str) -> None:
    """Scroll the page so that the container made with ``st.container(key=container_key)``
    is at the top of the screen (after a save the browser would stay where the button was).
    ``nonce`` differs each time, so that the script runs again."""
    st.html(f"""<script data-nonce="{nonce}">
      (function () {{
        const target = document.querySelector(".st-key-{container_key}");
        if (target) {{ target.scrollIntoView({{block: "start"}}); }}
      }})();
    </script>""", unsafe_allow_javascript=True)


def item_short_name(text: str) -> str:
    """A questionnaire item's name without its question ("办理时效：事项是否…" → "办理时效"),
    for a phone's narrow lines."""
    return text.replace("：", ":").split(":")[0].strip()
