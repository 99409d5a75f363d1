"""A headless Streamlit client: what the browser says over the websocket, without a browser.

The browser and the server speak protobuf over ``/_stcore/stream``: the browser
sends a ``BackMsg`` whose ``rerun_script`` carries the page and every widget's
value (``WidgetStates``); the server answers with ``ForwardMsg``s — a
``new_session`` when a script run starts, one ``delta`` per element drawn, and
``script_finished`` at its end (with ``FINISHED_EARLY_FOR_RERUN`` when the script
called ``st.rerun()``, after which the next run follows by itself). A widget's id
is in its element's proto; a keyed widget's id ends with ``-<key>``. Values are
sent as the browser sends them: text as ``string_value``, a radio or select box
as the text of the chosen option, a multiselect as the texts of its options, a
button press as a one-run ``trigger_value``.

Used by bench/bench_load.py and tests/services/test_overload.py to drive the real server
with many sessions at once (Playwright pages cost far more on a 2-core machine).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
# Alert formats (streamlit/proto/Alert.proto)
ERROR, WARNING, INFO, SUCCESS = 1, 2, 3, 4


class NoAnswer(Exception):
    """The server did not finish the script run in time (or closed the connection)."""


@dataclass
class Element:
    kind: str          # the proto's oneof name: "radio", "alert", "exception", …
    proto: object
    fragment_id: str = ""  # the st.fragment that drew it, if any

    @property
    def id(self) -> str:
        return getattr(self.proto, "id", "")

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "")


@dataclass
class Page:
    """What one script run (or the chain of runs that st.rerun() started) drew."""
    elements: list[Element] = field(default_factory=list)
    page_script_hash: str = ""
    runs: int = 0      # script runs (whole or fragment) the server made for this answer

    def of_kind(self, kind: str) -> list[Element]:
        return [e for e in self.elements if e.kind == kind]

    def widget(self, key: str) -> Element | None:
        """The widget whose user key is ``key`` (its id ends with ``-key``)."""
        return next((e for e in self.elements if e.id.endswith(f"-{key}")), None)

    def labelled(self, kind: str, label: str) -> Element | None:
        return next((e for e in self.of_kind(kind) if e.label == label), None)

    def alerts(self, alert_format: int) -> list[str]:
        return [e.proto.body for e in self.of_kind("alert") if e.proto.format == alert_format]

    def exceptions(self) -> list[str]:
        return [f"{e.proto.type}: {e.proto.message}" for e in self.of_kind("exception")]

    def headings(self) -> list[str]:
        return [e.proto.body for e in self.of_kind("heading")]


def shown_value(element: Element) -> WidgetState | None:
    """The value a select widget outside a form shows: set by the app (``set_value``)
    or its default. Form widgets send their values only when the form is submitted."""
    proto = element.proto
    if element.kind not in ("selectbox", "radio", "multiselect") or proto.form_id:
        return None
    if element.kind == "multiselect":
        values = list(proto.raw_values) if proto.set_value else [proto.options[i] for i in proto.default]
        return strings_state(proto.id, values)
    if proto.set_value:
        return string_state(proto.id, proto.raw_value) if proto.HasField("raw_value") else None
    if proto.HasField("default") and proto.options:
        return string_state(proto.id, proto.options[proto.default])
    return None


def string_state(widget_id: str, value: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=value)


def strings_state(widget_id: str, values: list[str]) -> WidgetState:
    state = WidgetState(id=widget_id)
    state.string_array_value.data.extend(values)
    return state


def trigger_state(widget_id: str) -> WidgetState:
    return WidgetState(id=widget_id, trigger_value=True)


class StreamlitSession:
    """One browser tab: a websocket, the current page, and the widget values it holds."""

    def __init__(self, base_url: str, timeout: float = 120.0):
        self.url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.timeout = timeout
        self.page = Page()
        self._values: dict[str, WidgetState] = {}
        self._ws = None

    async def open(self) -> Page:
        """Connect and run the app once, as loading the page does."""
        self._ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None,
                                            open_timeout=self.timeout, ping_interval=None)
        return await self.rerun()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def rerun(self, values: list[WidgetState] = (), trigger: str | None = None) -> Page:
        """Send the widget values (``values`` changed, the rest as held) and, for a button
        press, its one-run trigger; return the page the run (and any st.rerun after it) drew."""
        for state in values:
            self._values[state.id] = state
        message = BackMsg()
        message.rerun_script.query_string = ""
        message.rerun_script.page_script_hash = self.page.page_script_hash
        message.rerun_script.widget_states.widgets.extend(self._values.values())
        if trigger is not None:
            message.rerun_script.widget_states.widgets.append(trigger_state(trigger))
            # a button inside an st.fragment reruns only that fragment, as in the browser
            pressed = next((e for e in self.page.elements if e.id == trigger), None)
            if pressed is not None and pressed.fragment_id:
                message.rerun_script.fragment_id = pressed.fragment_id
        fragment = message.rerun_script.fragment_id
        await self._ws.send(message.SerializeToString())
        try:
            self.page = await asyncio.wait_for(self._receive_run(fragment), self.timeout)
        except (asyncio.TimeoutError, websockets.ConnectionClosed) as error:
            raise NoAnswer(repr(error)) from error
        # like the browser, forget the values of widgets no longer on the page, and
        # hold the value each select widget shows (the browser sends it back next time)
        shown = {e.id for e in self.page.elements if e.id}
        self._values = {key: state for key, state in self._values.items() if key in shown}
        for element in self.page.elements:
            state = shown_value(element)
            if state is not None and (element.proto.set_value or element.id not in self._values):
                self._values[element.id] = state
        return self.page

    async def _receive_run(self, fragment: str = "") -> Page:
        page = Page(page_script_hash=self.page.page_script_hash)
        runs = 0
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self._ws.recv())
            kind = message.WhichOneof("type")
            if kind == "new_session":  # a script run starts: a fresh page
                runs += 1
                # a fragment run (the first run of an answer to a fragment's widget) redraws only
                # that fragment: the rest of the page stays; an st.rerun() after it runs it all
                kept = [e for e in self.page.elements if e.fragment_id != fragment] if fragment and runs == 1 else []
                page = Page(kept, page_script_hash=message.new_session.page_script_hash, runs=runs)
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                name = element.WhichOneof("type")
                page.elements.append(Element(name, getattr(element, name), message.delta.fragment_id))
            elif kind == "script_finished" and message.script_finished in FINISHED:
                return page
