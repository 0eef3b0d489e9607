"""The rule registry: one class per rule, each carrying its own documentation.

A rule class holds no checking logic (the checker decides which rule a finding
belongs to); it holds what every host and output format needs to know about a
code: its name, a one-line summary, the SARIF level, and the documentation in
five sections (What it does / Why is this bad? / Example / Use instead / Fix
safety) shown by `memlint rule CODE` and linked from every diagnostic.

`select_codes` turns `select` / `extend-select` / `ignore` / `--strict` into
the set of enabled codes, resolving prefixes by specificity: when a select
and an ignore both match a code, the more specific one decides, and at equal
specificity the ignore wins.
"""
from __future__ import annotations

import textwrap
from typing import ClassVar, Iterable

DOCS_URL = "https://github.com/flink-agents-memlint/memlint/blob/main/docs/rules.md#{anchor}"

CODE_PREFIX = "MEM"
ALL = "ALL"
LEVELS = ("error", "warning", "note")


def _text(value: str) -> str:
    """Dedent a triple-quoted class attribute and trim its surrounding blank lines."""
    return textwrap.dedent(value).strip("\n").rstrip()


# The part of "Why is this bad?" that every value rule shares: what happens to
# a value that is not a plain primitive once it reaches Flink state.
_RESTORE_CRASH = """\
Flink Agents keeps memory in Flink keyed state, and a value written from a
Python action reaches that state across Pemja, the bridge between the Python
worker and the JVM. Pemja converts only values whose type is exactly `None`,
`bool`, `int`, `float`, `str`, `bytes`, `list` or `dict` (with `str` keys)
into JVM values. Anything else is kept as a wrapper around a JNI pointer into
the Python process that wrote it, and that pointer is what the checkpoint
saves. After a TaskManager or Python worker restart the job restores the
checkpoint, the pointer no longer refers to anything, and the first read of
the value crashes the worker with a SIGSEGV in `JcpPyObject_FromJObject`.
Because the restarted job restores the same checkpoint, it can crash the same
way on every attempt.

Local runs and MiniCluster tests never send the value across Pemja, so it
round-trips there and every test passes; the crash first appears at a real
restore, usually in production. flink-agents before 0.3.1 accepts the value
without complaint. From 0.3.1, `set()` checks the value and raises
`TypeError`, but only on the code path that actually runs: a write in a retry
branch, a tool-call path or an error handler still reaches production
untested. memlint reports the write without running it."""


def _why(specific: str) -> str:
    """A rule's own reasons, followed by the shared account of the restore crash."""
    return _text(specific) + "\n\n" + _RESTORE_CRASH


def _no_fix_yet(conversion: str) -> str:
    """Fix safety text for a rule whose fix is not implemented yet."""
    return "This rule does not offer a fix yet; " + _text(conversion)


# How memlint decides a value fix's safety (lint/fix/readside.py), shared by every
# rule with a fix. Ruff's convention: `--fix` applies safe fixes only.
_SAFETY_RULE = """The fix is **safe** (applied by `memlint check --fix`) only when no reader
can observe a different value: its edit lies inside the `set()` call and
converts the whole value stored there (so no other use of the value in the
code changes); the memory path is a string literal or a module constant;
the module reads that path (or a path above or below it) at least once; and
every such read passes the value straight to the reconstruction of the rich
type — directly, through `... or default`, or through a name used for
nothing else — or only compares it with `None`. A read with a path memlint
cannot tell (`mem.get(expr)`) or of every field (`get_fields()`) makes every
fix in the module unsafe. A path the module never reads is read somewhere
memlint cannot see, so its fix is unsafe.

Every other fix is **unsafe** (applied with `--fix --unsafe-fixes`, shown by
`--diff --unsafe-fixes`): code that reads the path gets the primitive form
and must rebuild the rich value itself. A fix where the value is produced
or enters a container before the call (`x = ...`, `d[k] = x`,
`l.append(x)`, `l.extend(xs)`) is always unsafe: it changes what other code
sees in that name or container. memlint converts a value where it is
stored when it can (the value argument of every `set()` call that stores
it), and only otherwise where it is produced — never both, so no value is
converted twice.

An unsafe fix also rebuilds the value where the module reads it as the
rich type, as the reference fix (flink-agents PR #828) did by hand: a read
returned from a function annotated with the type, assigned to a name
annotated with it, or whose attributes are used becomes
`Model.model_validate(mem.get(P))` (`UUID(...)`, `MyEnum(...)`, ...); in a
dict that is read, changed and written back, an entry returned as the
rich type or taken out and returned is rebuilt; the class is imported if
the module does not bind it. A read the fix cannot rewrite is named (its
line) in the fix's message, in the diagnostic and in `--diff`: rebuild the
value there by hand."""


def _fix(conversion: str) -> str:
    """Fix safety text for a rule with a fix: what it writes, then the safety rule."""
    return _text(conversion) + "\n\n" + _SAFETY_RULE


class Rule:
    """One rule. Subclasses set every class attribute below; they are data only."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    what_it_does: ClassVar[str]
    why_bad: ClassVar[str]
    example: ClassVar[str]
    use_instead: ClassVar[str]
    fix_safety: ClassVar[str]
    default_level: ClassVar[str] = "error"
    strict_only: ClassVar[bool] = False

    _TEXT_FIELDS: ClassVar[tuple[str, ...]] = (
        "what_it_does", "why_bad", "example", "use_instead", "fix_safety",
    )

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # Store the sections dedented, so every reader (SARIF, LSP hover,
        # `memlint rule`) gets the same text as the documentation page.
        for field in cls._TEXT_FIELDS:
            if field in cls.__dict__:
                setattr(cls, field, _text(cls.__dict__[field]))

    @classmethod
    def url(cls) -> str:
        return DOCS_URL.format(anchor=cls.code.lower())

    @classmethod
    def documentation(cls) -> str:
        """The rule's page in Markdown (Ruff's section layout)."""
        return (
            f"# {cls.name} ({cls.code})\n"
            "\n"
            "## What it does\n"
            f"{_text(cls.what_it_does)}\n"
            "\n"
            "## Why is this bad?\n"
            f"{_text(cls.why_bad)}\n"
            "\n"
            "## Example\n"
            "```python\n"
            f"{_text(cls.example)}\n"
            "```\n"
            "\n"
            "## Use instead\n"
            "```python\n"
            f"{_text(cls.use_instead)}\n"
            "```\n"
            "\n"
            "## Fix safety\n"
            f"{_text(cls.fix_safety)}\n"
        )


# ---------------------------------------------------------------------------
# MEM0xx: the file itself
# ---------------------------------------------------------------------------


class SyntaxErrorRule(Rule):
    code = "MEM000"
    name = "syntax-error"
    summary = "File could not be parsed, so its memory writes were not checked"
    what_it_does = """
        Reports a Python file that memlint's parser (libcst) cannot parse, at
        the position and with the message the parser gives. The rest of the
        run goes on; only this file goes unchecked.
        """
    why_bad = """
        memlint reads source only, so a file it cannot parse is a file whose
        `short_term_memory.set(...)` and `sensory_memory.set(...)` calls it
        cannot see. Skipping it silently would make an unchecked file look
        clean. Most often the file has a real syntax error, and the Flink
        job would also fail when the Python worker imports the agent module;
        occasionally the file uses syntax newer than the installed libcst
        understands, and upgrading libcst lets memlint check it.
        """
    example = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def remember_review(event: InputEvent, ctx: RunnerContext) -> None:
                ctx.short_term_memory.set("review", str(event.input)
        """
    use_instead = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def remember_review(event: InputEvent, ctx: RunnerContext) -> None:
                ctx.short_term_memory.set("review", str(event.input))
        """
    fix_safety = """
        There is no fix: memlint cannot rewrite a file it cannot parse.
        Correct the syntax (or upgrade libcst if the syntax is valid Python
        that it does not know yet) and run memlint again.
        """


# ---------------------------------------------------------------------------
# MEM1xx: values that do not survive a checkpoint restore
# ---------------------------------------------------------------------------


class UnusedNoqa(Rule):
    code = "MEM100"
    name = "unused-noqa"
    summary = "noqa directive names a memlint code that suppresses nothing"
    default_level = "warning"
    what_it_does = """
        Reports a `# noqa: MEMxxx` comment whose MEM code matches no
        diagnostic on the statement it annotates, for example after the
        value was normalized or the line was rewritten. Only MEM codes are
        judged: codes of other tools sharing the same comment (flake8's
        `E501`, say) are left to those tools. When memlint runs as a flake8
        plugin, flake8 applies `noqa` comments itself and this rule is not
        reported.
        """
    why_bad = """
        A suppression outlives the reason it was written. A stale
        `# noqa: MEM101` on a memory write keeps suppressing that code when
        the line later changes to store a real `uuid.UUID`, so the value that
        crashes the worker after the next TaskManager restart is never
        reported. Removing unused suppressions keeps every remaining one
        meaningful.
        """
    example = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                # The id was normalized long ago; the suppression stayed behind.
                ctx.short_term_memory.set("request_id", str(event.id))  # noqa: MEM101
        """
    use_instead = """
        import uuid

        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                ctx.short_term_memory.set("request_id", str(event.id))
                # Rebuilt where it is read:
                request_id = uuid.UUID(ctx.short_term_memory.get("request_id"))
        """
    fix_safety = _text("""
        The fix deletes the unused MEM codes from the directive (other
        tools' codes stay), or the whole `# noqa` directive when nothing else
        remains in it; text after the directive in the same comment is kept.
        It is always safe: a comment changes no behaviour.
        """)


class UuidValue(Rule):
    code = "MEM101"
    name = "uuid-value"
    summary = "UUID stored in Flink Agents memory"
    what_it_does = """
        Reports a `uuid.UUID` written to Flink Agents memory with
        `MemoryObject.set()`, directly or inside a `list` or `dict` value.
        UUIDs reach actions from many places: `Event.id` of every event,
        `ChatResponseEvent.request_id`, `ToolResponseEvent.request_id`,
        `ContextRetrievalResponseEvent.request_id`, and `uuid.uuid4()`.
        """
    why_bad = _why("""
        A `UUID` is an ordinary Python object, not one of the types Pemja
        converts, so it is stored as a pointer rather than as its value.

        """)
    example = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                ctx.short_term_memory.set("initial_request_id", event.id)
        """
    use_instead = """
        import uuid

        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.chat_event import ChatResponseEvent
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                # Store the canonical text form ...
                ctx.short_term_memory.set("initial_request_id", str(event.id))

            @action(ChatResponseEvent)
            @staticmethod
            def finish(event: ChatResponseEvent, ctx: RunnerContext) -> None:
                # ... and rebuild the UUID where it is read.
                initial_request_id = uuid.UUID(
                    ctx.short_term_memory.get("initial_request_id")
                )
        """
    fix_safety = _fix("""
        The fix writes `str(value)` where the UUID is stored:
        `str(x) if x is not None else None` for an optional plain name (no
        fix for an optional attribute or call), `[str(u) for u in x]` for a
        list of UUIDs that came with an annotated container. It is safe when
        every read of the path rebuilds with `UUID(...)`, e.g.
        `UUID(ctx.short_term_memory.get("request.id"))`.
        """)


class ModelValue(Rule):
    code = "MEM102"
    name = "model-value"
    summary = "Pydantic model stored in Flink Agents memory"
    what_it_does = """
        Reports a pydantic model instance written to Flink Agents memory with
        `MemoryObject.set()`, directly or inside a `list` or `dict` value.
        This includes the framework's own models: every event (`InputEvent`,
        `ChatRequestEvent`, `ToolResponseEvent`, ...), `ChatMessage`,
        `Document`, `MemoryRef`, `Prompt` and `OutputSchema`, as well as your
        own `BaseModel` subclasses, found through imports across the project.
        """
    why_bad = _why("""
        A model instance is a Python object, not a value Pemja can convert,
        so it is stored as a pointer. Storing a `list[ChatMessage]` is the
        typical case: chat history kept in memory for the next turn of a
        tool-calling loop.

        """)
    example = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.chat_message import ChatMessage, MessageRole
        from flink_agents.api.decorators import action
        from flink_agents.api.events.chat_event import ChatRequestEvent
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def ask(event: InputEvent, ctx: RunnerContext) -> None:
                question = ChatMessage(role=MessageRole.USER, content=str(event.input))
                ctx.short_term_memory.set("history", [question])
                ctx.send_event(ChatRequestEvent(model="reviewer", messages=[question]))
        """
    use_instead = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.chat_message import ChatMessage, MessageRole
        from flink_agents.api.decorators import action
        from flink_agents.api.events.chat_event import ChatRequestEvent, ChatResponseEvent
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def ask(event: InputEvent, ctx: RunnerContext) -> None:
                question = ChatMessage(role=MessageRole.USER, content=str(event.input))
                # Store the JSON-mode dump: only str, int, float, bool, None, list, dict.
                ctx.short_term_memory.set("history", [question.model_dump(mode="json")])
                ctx.send_event(ChatRequestEvent(model="reviewer", messages=[question]))

            @action(ChatResponseEvent)
            @staticmethod
            def answer(event: ChatResponseEvent, ctx: RunnerContext) -> None:
                # Rebuild the models where they are read.
                history = [
                    ChatMessage.model_validate(m)
                    for m in ctx.short_term_memory.get("history")
                ]
        """
    fix_safety = _fix("""
        The fix writes `value.model_dump(mode="json")` where the model is
        stored (`[m.model_dump(mode="json") for m in x]` for a list of
        models that came with an annotated container, a None guard for an
        optional plain name). It is safe when every read of the path
        rebuilds with `Model.model_validate(...)` (item by item for a list:
        `[Model.model_validate(m) for m in mem.get(path)]`).
        """)


class EnumValue(Rule):
    code = "MEM103"
    name = "enum-value"
    summary = "Enum member stored in Flink Agents memory"
    what_it_does = """
        Reports an `enum.Enum` member written to Flink Agents memory with
        `MemoryObject.set()`, directly or inside a `list` or `dict` value,
        including members of `str` and `int` mixin enums (`StrEnum`,
        `IntEnum`, `class Stage(str, Enum)`) and of the framework's own
        enums such as `MessageRole`, `MemoryType` and `ResourceType`.
        """
    why_bad = _why("""
        A `str` or `int` enum member passes `isinstance(x, str)`, and it
        prints and compares like its value, but its type is not exactly
        `str` or `int`. Pemja checks the exact type, so the member is stored
        as a pointer like any other object.

        """)
    example = """
        from enum import Enum

        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class Stage(str, Enum):
            RECEIVED = "received"
            RETRIEVING = "retrieving"
            ANSWERED = "answered"


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                ctx.short_term_memory.set("stage", Stage.RECEIVED)
        """
    use_instead = """
        from enum import Enum

        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class Stage(str, Enum):
            RECEIVED = "received"
            RETRIEVING = "retrieving"
            ANSWERED = "answered"


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                # Store the member's primitive value ...
                ctx.short_term_memory.set("stage", Stage.RECEIVED.value)
                # ... and look the member up again where it is read.
                stage = Stage(ctx.short_term_memory.get("stage"))
        """
    fix_safety = _fix("""
        The fix writes `member.value`, and only for an enum whose values are
        primitive (`str`, `int`, `float`, `bool`); an enum whose values are
        tuples or objects gets no fix (store `member.name` and rebuild with
        `EnumClass[name]`). It is safe when every read of the path rebuilds
        with `EnumClass(...)`.
        """)


class ContainerType(Rule):
    code = "MEM104"
    name = "container-type"
    summary = "Container other than an exact list or dict stored in Flink Agents memory"
    what_it_does = """
        Reports a container written to Flink Agents memory with
        `MemoryObject.set()` whose type is not exactly `list` or `dict`:
        `tuple` (including named tuples), `set`, `frozenset`,
        `collections.OrderedDict`, `collections.defaultdict`,
        `collections.Counter`, `collections.deque`, generators and generator
        expressions, `range`, and subclasses of `list` or `dict`.
        """
    why_bad = _why("""
        Pemja converts a container only when its type is exactly `list` or
        `dict`; a subclass or any other collection is not converted, even
        when everything inside it is primitive. A tuple of two ints is
        stored as a pointer just like a model would be. A generator is
        worse still: besides being unconvertible, it can be consumed only
        once and holds a suspended frame.

        """)
    example = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                ctx.short_term_memory.set("enabled_tools", {"search", "calculator"})
        """
    use_instead = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                # Store an exact list (sorted, so the stored state is deterministic) ...
                ctx.short_term_memory.set("enabled_tools", sorted({"search", "calculator"}))
                # ... and rebuild the set where it is read.
                enabled_tools = set(ctx.short_term_memory.get("enabled_tools"))
        """
    fix_safety = _fix("""
        The fix writes `list(value)` for tuples, sets, frozensets, deques,
        generators, `range`, `map`, `zip` and the like — a tuple display
        becomes a list display, a generator expression a list
        comprehension, `tuple(...)` becomes `list(...)`, and items that need
        converting too are converted in a comprehension
        (`[list(t) for t in zip(a, b)]`) — and `dict(value)` for
        `OrderedDict`, `defaultdict` and `Counter`. It never sorts: a set
        is stored in its iteration order. It is safe when every read of
        the path rebuilds the container (`tuple(...)`, `set(...)`,
        `frozenset(...)`, `deque(...)`, `Counter(...)`, `OrderedDict(...)`).
        """)


class NonStrKey(Rule):
    code = "MEM105"
    name = "non-str-key"
    summary = "Dict with non-str keys stored in Flink Agents memory"
    what_it_does = """
        Reports a `dict` written to Flink Agents memory with
        `MemoryObject.set()` whose keys are not exactly `str`: `int`,
        `float`, `bool`, `tuple`, `uuid.UUID`, enum members (including `str`
        enums) and other objects. The framework produces such dicts itself:
        `ToolResponseEvent.responses` is a `dict[UUID, Any]` and
        `ToolResponseEvent.external_ids` a `dict[UUID, str | None]`.
        """
    why_bad = _why("""
        Keys of a memory `dict` must be exactly `str`. A `UUID` or enum key
        is an object that Pemja cannot convert, and the Flink Agents memory
        contract rejects any other key type as well, even an `int`.

        """)
    example = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.tool_event import ToolResponseEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(ToolResponseEvent)
            @staticmethod
            def collect(event: ToolResponseEvent, ctx: RunnerContext) -> None:
                ctx.sensory_memory.set("tool_external_ids", event.external_ids)
        """
    use_instead = """
        import uuid

        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.tool_event import ToolResponseEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(ToolResponseEvent)
            @staticmethod
            def collect(event: ToolResponseEvent, ctx: RunnerContext) -> None:
                # Store the keys as text ...
                ctx.sensory_memory.set(
                    "tool_external_ids",
                    {str(k): v for k, v in event.external_ids.items()},
                )
                # ... and convert them back where the dict is read.
                external_ids = {
                    uuid.UUID(k): v
                    for k, v in ctx.sensory_memory.get("tool_external_ids").items()
                }
        """
    fix_safety = _fix("""
        The fix writes `{str(k): v for k, v in value.items()}` (`k.value`
        for keys of a `str`-valued enum, `str(k.value)` for an `int`-valued
        one; in a dict display written in the call, the keys themselves:
        `{1: a}` becomes `{"1": a}`). It is never safe: memlint does not
        recognize the conversion of the keys on read, and two keys that
        differ in type but not in text (`1` and `"1"`) collapse into one.
        The values still have to be safe: `ToolResponseEvent.responses`
        holds whatever the tools returned.
        """)


class ObjectValue(Rule):
    code = "MEM106"
    name = "object-value"
    summary = "Non-primitive object stored in Flink Agents memory"
    what_it_does = """
        Reports any other value that is not a memory primitive, written to
        Flink Agents memory with `MemoryObject.set()` directly or inside a
        `list` or `dict` value, and names the conversion for its type:

        | value | store | read back |
        |---|---|---|
        | `datetime`, `date`, `time` | `x.isoformat()` | `datetime.fromisoformat(s)` (same on `date`, `time`) |
        | `timedelta` | `x.total_seconds()` | `timedelta(seconds=f)` |
        | `Decimal` | `str(x)` (not `float`, which loses digits) | `Decimal(s)` |
        | `Path`, `PurePath` | `str(x)` or `x.as_posix()` | `Path(s)` |
        | `complex` | `[x.real, x.imag]` | `complex(*l)` |
        | `bytearray` | `bytes(x)` | `bytearray(b)` |
        | `memoryview` | `bytes(x)` (copies the data) | `memoryview(b)` |
        | dataclass instance | `dataclasses.asdict(x)`, fields normalized (MEM201) | `Cls(**d)`, fields rebuilt |
        | attrs or custom class instance | an explicit `to_dict()` of primitives | a matching `from_dict()` |
        | numpy scalar / array | `x.item()` / `x.tolist()` | `np.float64(f)` / `np.asarray(l)` |

        With `flink-agents-version = "0.3"` in the configuration, exact
        `bytes` is reported too: the 0.3 releases' `set()` rejects `bytes`.
        Store `base64.b64encode(b).decode("ascii")` and read it back with
        `base64.b64decode(s)`. Other versions store exact `bytes` natively.
        """
    why_bad = _why("""
        None of these types is one Pemja converts. Some look primitive and
        are not: a numpy `float64` passes `isinstance(x, float)` and a
        `bytes` subclass passes `isinstance(x, bytes)`, but the exact type is
        what counts. A dataclass is a plain object no matter how simple its
        fields are.

        """)
    example = """
        from datetime import datetime, timezone

        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                ctx.short_term_memory.set("received_at", datetime.now(timezone.utc))
        """
    use_instead = """
        from datetime import datetime, timezone

        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                # Store ISO 8601 text (it keeps the UTC offset) ...
                ctx.short_term_memory.set(
                    "received_at", datetime.now(timezone.utc).isoformat()
                )
                # ... and parse it back where it is read.
                received_at = datetime.fromisoformat(
                    ctx.short_term_memory.get("received_at")
                )
        """
    fix_safety = _fix("""
        The fix depends on the type: `value.isoformat()` for `datetime`,
        `date` and `time`, `value.total_seconds()` for `timedelta`,
        `str(value)` for `Decimal`, `Fraction`, `Path` and IP addresses,
        `bytes(value)` for `bytearray` and `memoryview` (when the target
        flink-agents admits bytes), `[z.real, z.imag]` for a complex
        number. Dataclass, attrs and custom-class instances get no fix:
        which fields to keep, and how, is a choice only you can make. It is
        safe when every read of the path rebuilds the value
        (`datetime.fromisoformat(...)`, `timedelta(seconds=...)`,
        `Decimal(...)`, `Path(...)`).
        """)


class MemoryObjectValue(Rule):
    code = "MEM107"
    name = "memory-object-value"
    summary = "MemoryObject stored as a value in Flink Agents memory"
    what_it_does = """
        Reports a `MemoryObject` passed as the value of `MemoryObject.set()`:
        `ctx.short_term_memory` or `ctx.sensory_memory` themselves, the
        result of `new_object(...)`, or anything annotated `MemoryObject`.
        """
    why_bad = _why("""
        A `MemoryObject` is not data but a handle the runner gives an action
        to reach the memory tree (it is itself a pydantic model). Passing
        one to `set()` does not copy its fields; it stores the handle, and
        Pemja keeps it as a pointer like any other object. A nested object
        belongs in the tree: `new_object(path)` creates it at `path`, and its
        fields are then written one by one with `set()`, each a primitive
        that the checkpoint stores by value.

        """)
    example = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                scratch = ctx.sensory_memory.new_object("reviewer")
                scratch.set("name", str(event.input["reviewer"]))
                scratch.set("review_count", 1)
                ctx.short_term_memory.set("reviewer", scratch)
        """
    use_instead = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                # Create the nested object where it should live, and set
                # primitive fields on it ...
                reviewer = ctx.short_term_memory.new_object("reviewer")
                reviewer.set("name", str(event.input["reviewer"]))
                reviewer.set("review_count", 1)
                # ... and read it back as a MemoryObject, field by field.
                reviewer = ctx.short_term_memory.get("reviewer")
                review_count = reviewer.get("review_count")
        """
    fix_safety = _no_fix_yet("""
        the change is creating the object with `new_object(path)` on the
        target memory and writing each field into it with `set()`, which
        means restructuring the action's code. memlint cannot know which
        fields to copy, so this will remain a manual change.
        """)


# ---------------------------------------------------------------------------
# MEM2xx: normalizations that do not go far enough
# ---------------------------------------------------------------------------


class IncompleteNormalization(Rule):
    code = "MEM201"
    name = "incomplete-normalization"
    summary = "Normalization that still leaves objects in a Flink Agents memory value"
    what_it_does = """
        Reports a value that was converted before being written to Flink
        Agents memory, but by a conversion that still leaves objects inside
        the result:

        - `model.model_dump()` without `mode="json"`, on a model that has an
          Enum, UUID, datetime, Decimal, tuple or set field, or a nested
          model holding one, and no custom `@model_serializer`;
        - `dataclasses.asdict(x)` of a dataclass with such fields;
        - `vars(x)`, `x.__dict__` and `dict(model)`, which copy only the top
          level and leave every field value as it was.

        The subtle and common case is `ChatMessage`: `message.model_dump()`
        returns a dict whose `"role"` is still a `MessageRole` member, a
        `str` enum that prints like `"user"` and is not a `str`. A model
        whose fields are all primitive (`str`, `int`, `float`, `bool`,
        `None`, and `list`/`dict` of those) is fine with plain
        `model_dump()`, and so is a model whose class defines a
        `@model_serializer` that returns primitives, such as Flink Agents'
        `OutputSchema`; memlint does not report those.
        """
    why_bad = _why("""
        The call looks like a normalization, so it passes review and unit
        tests, which usually compare dicts and never notice that one value
        in them is an enum member or a `UUID`. Pydantic's default python
        mode dump keeps such field values as the objects they are; only
        `mode="json"` turns them into strings, numbers, lists and dicts. The
        leftover object is stored as a pointer.

        """)
    example = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.chat_message import ChatMessage, MessageRole
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def ask(event: InputEvent, ctx: RunnerContext) -> None:
                question = ChatMessage(role=MessageRole.USER, content=str(event.input))
                ctx.short_term_memory.set("question", question.model_dump())
        """
    use_instead = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.chat_message import ChatMessage, MessageRole
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def ask(event: InputEvent, ctx: RunnerContext) -> None:
                question = ChatMessage(role=MessageRole.USER, content=str(event.input))
                # JSON mode turns role into "user" (and UUIDs, datetimes,
                # tuples, nested models into primitives) ...
                ctx.short_term_memory.set("question", question.model_dump(mode="json"))
                # ... and model_validate turns them back.
                question = ChatMessage.model_validate(ctx.short_term_memory.get("question"))
        """
    fix_safety = _fix("""
        The fix adds `mode="json"` to `model_dump()` and keeps every other
        argument (`mode="python"` becomes `mode="json"`, `.dict()` becomes
        `.model_dump(mode="json")`); `dict(model)`, `vars(model)` and
        `model.__dict__` on a pydantic model become
        `model.model_dump(mode="json")`. `dataclasses.asdict`, and `vars`
        of a non-model, get no fix: the remaining fields have to be
        normalized one by one. Readers that rebuild the model with
        `Model.model_validate(...)` see the same model as before, so the fix
        is safe when every read of the path does that; readers that use
        the stored dict directly see strings where they saw enum members,
        UUIDs or datetimes.
        """)


# ---------------------------------------------------------------------------
# MEM9xx: strict mode
# ---------------------------------------------------------------------------


class UnprovenValue(Rule):
    code = "MEM900"
    name = "unproven-value"
    summary = "Value not proven primitive stored in Flink Agents memory (strict mode)"
    default_level = "warning"
    strict_only = True
    what_it_does = """
        Only with `--strict` (or `strict = true` in the configuration):
        reports a value written to Flink Agents memory with
        `MemoryObject.set()` that memlint can neither prove safe nor prove
        unsafe, such as `event.input` (typed `Any`), the result of an
        unannotated function, or a dict read back from memory and modified.
        The rule is not part of the default selection, and selecting `ALL`,
        `MEM` or a prefix does not enable it without strict mode; naming
        the exact code `MEM900` in `select` or `extend-select` does.
        """
    why_bad = _why("""
        memlint stays silent about values it cannot classify, because a
        linter that guesses gets switched off. But an unclassified value is
        exactly where an unsafe one can hide: the action receives whatever
        the upstream Flink job produced, and a pydantic model or a tuple
        arriving there is stored as a pointer. Strict mode asks for every
        write to be provably primitive, which suits agents whose memory must
        survive restores.

        """)
    example = """
        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                ctx.short_term_memory.set("review", event.input)
        """
    use_instead = """
        from pydantic import BaseModel

        from flink_agents.api.agents.agent import Agent
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext


        class ProductReview(BaseModel):
            product_id: str
            rating: int
            text: str


        class ReviewAgent(Agent):
            @action(InputEvent)
            @staticmethod
            def start(event: InputEvent, ctx: RunnerContext) -> None:
                # Give the input a type, store its JSON-mode dump ...
                review = ProductReview.model_validate(event.input)
                ctx.short_term_memory.set("review", review.model_dump(mode="json"))
                # ... and rebuild the model where it is read.
                review = ProductReview.model_validate(ctx.short_term_memory.get("review"))
        """
    fix_safety = """
        There is no fix: memlint does not know what the value is, so it
        cannot choose a conversion. Give the value a type memlint can follow
        (an annotation, a `model_validate`, an explicit `str(...)` or
        `int(...)`) or suppress the line with `# noqa: MEM900` once you have
        checked it.
        """


# ---------------------------------------------------------------------------
# Registry and selection
# ---------------------------------------------------------------------------

_RULE_CLASSES: tuple[type[Rule], ...] = (
    SyntaxErrorRule,
    UnusedNoqa,
    UuidValue,
    ModelValue,
    EnumValue,
    ContainerType,
    NonStrKey,
    ObjectValue,
    MemoryObjectValue,
    IncompleteNormalization,
    UnprovenValue,
)

RULES: dict[str, type[Rule]] = {rule.code: rule for rule in sorted(_RULE_CLASSES, key=lambda r: r.code)}

RULES_BY_NAME: dict[str, type[Rule]] = {rule.name: rule for rule in RULES.values()}


def _check_registry() -> None:
    assert len(RULES) == len(_RULE_CLASSES), "duplicate rule code"
    assert len(RULES_BY_NAME) == len(RULES), "duplicate rule name"
    for code, rule in RULES.items():
        assert code.startswith(CODE_PREFIX) and len(code) == 6 and code[3:].isdigit(), code
        assert rule.default_level in LEVELS, code


_check_registry()


def get_rule(code: str) -> type[Rule]:
    """The rule class for an exact code; KeyError if there is none."""
    try:
        return RULES[code]
    except KeyError:
        raise KeyError(f"unknown rule code {code!r}") from None


def _validate_selector(selector: str) -> None:
    if selector == ALL:
        return
    if not selector.startswith(CODE_PREFIX) or not any(code.startswith(selector) for code in RULES):
        raise ValueError(f"unknown rule code or prefix {selector!r}")


def _specificity(selector: str) -> int:
    """ALL < MEM < MEM1 < MEM10 < MEM101: longer prefixes are more specific."""
    return 0 if selector == ALL else len(selector)


def _matches(selector: str, *, for_select: bool, strict: bool) -> list[str]:
    """Codes a selector names. Strict-only rules are named by a prefix (or ALL)
    only in strict mode; their exact code always names them."""
    prefix = CODE_PREFIX if selector == ALL else selector
    codes = []
    for code, rule in RULES.items():
        if not code.startswith(prefix):
            continue
        if for_select and rule.strict_only and not strict and code != selector:
            continue
        codes.append(code)
    return codes


def _as_tuple(selectors: Iterable[str] | None) -> tuple[str, ...]:
    if selectors is None:
        return ()
    if isinstance(selectors, str):  # a single code passed by mistake for a list
        return (selectors,)
    return tuple(s.strip() for s in selectors)


def select_codes(
    select: Iterable[str] | None,
    ignore: Iterable[str],
    extend_select: Iterable[str] = (),
    strict: bool = False,
) -> frozenset[str]:
    """The enabled rule codes.

    - `select=None` means the default: every rule except the strict-only ones
      (so MEM000 and MEM100 are on by default). A given `select` replaces it.
    - `"ALL"` and `"MEM"` name every rule; a prefix such as `"MEM1"` names the
      rules whose codes start with it. Strict-only rules (MEM900) are named by
      a prefix only when `strict` is true, and by their exact code always.
    - `extend_select` adds to the selection; `ignore` removes from it.
    - When a select and an ignore both name a code, the more specific
      selector decides (`select=["MEM101"], ignore=["MEM10"]` keeps MEM101);
      at equal specificity the ignore wins.
    - `strict=True` adds the strict-only rules unless an ignore names them.

    Raises ValueError("unknown rule code or prefix 'X'") for a selector that
    names no rule.
    """
    select_t = None if select is None else _as_tuple(select)
    ignore_t = _as_tuple(ignore)
    extend_t = _as_tuple(extend_select)
    for selector in (*(select_t or ()), *ignore_t, *extend_t):
        _validate_selector(selector)

    # (specificity, is_select, codes). Ignores sort after selects of the same
    # specificity, so they win ties.
    steps: list[tuple[int, int, list[str]]] = []
    if select_t is None:
        steps.append((0, 0, [code for code, rule in RULES.items() if not rule.strict_only]))
    if strict:
        steps.append((0, 0, [code for code, rule in RULES.items() if rule.strict_only]))
    for selector in (*(select_t or ()), *extend_t):
        steps.append((_specificity(selector), 0, _matches(selector, for_select=True, strict=strict)))
    for selector in ignore_t:
        steps.append((_specificity(selector), 1, _matches(selector, for_select=False, strict=strict)))

    enabled: set[str] = set()
    for _, is_ignore, codes in sorted(steps, key=lambda step: (step[0], step[1])):
        if is_ignore:
            enabled.difference_update(codes)
        else:
            enabled.update(codes)
    return frozenset(enabled)


__all__ = [
    "ALL",
    "DOCS_URL",
    "RULES",
    "RULES_BY_NAME",
    "Rule",
    "get_rule",
    "select_codes",
    *(rule.__name__ for rule in _RULE_CLASSES),
]
