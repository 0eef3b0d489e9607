"""A real editor's LSP client against `memlint lsp`: headless Neovim (Debian's
`neovim` package; 0.7 has `vim.lsp.start_client` + `vim.lsp.buf_attach_client`,
0.8+ also `vim.lsp.start`) opens a violating file, waits for the server's
diagnostics and writes what it received to a JSON file this test reads.

The test fails, never skips, when `nvim` is missing: CI installs it
(`apt-get install -y neovim`; see .ci/run)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

AGENT = """\
from uuid import uuid4

from flink_agents.api.runner_context import RunnerContext


def start(event, ctx: RunnerContext) -> None:
    ctx.short_term_memory.set("rid", uuid4())
"""
FLAGGED_LINE = 6  # 0-based

# docs/editors.md's snippet for Neovim 0.7 (start_client + buf_attach_client
# from a FileType autocommand), verbatim but for the command, then: wait for
# memlint's diagnostics, write them and the client's view of the server to a file.
DOCS = Path(__file__).resolve().parent.parent / "docs" / "editors.md"
INIT_LUA = r"""
local out = vim.env.MEMLINT_NVIM_OUT
local memlint_cmd = vim.json and vim.json.decode(vim.env.MEMLINT_NVIM_CMD) or vim.fn.json_decode(vim.env.MEMLINT_NVIM_CMD)

local function write(result)
  local f = assert(io.open(out, "w"))
  f:write(vim.fn.json_encode(result))
  f:close()
end

-- docs/editors.md's Neovim 0.7 snippet goes here
__SNIPPET__

local function collect()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(found, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      message = d.message, source = d.source,
      code = (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or d.code,
      severity = d.severity,
    })
  end
  return found
end

vim.api.nvim_create_autocmd("VimEnter", {
  callback = function()
    local ok = vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 100)
    local clients = {}
    for _, client in pairs(vim.lsp.get_active_clients()) do
      table.insert(clients, {
        name = client.name,
        server = client.server_info and client.server_info.name or vim.NIL,
        code_actions = client.server_capabilities and client.server_capabilities.codeActionProvider
          and true or false,
      })
    end
    write({ ok = ok, version = vim.version(), diagnostics = collect(), clients = clients })
    for _, client in pairs(vim.lsp.get_active_clients()) do
      client.stop()
    end
    vim.wait(5000, function() return #vim.lsp.get_active_clients() == 0 end, 50)
    vim.cmd("qall!")
  end,
})
"""


def documented_snippet() -> str:
    """The Lua block after the `<!-- neovim-0.7 -->` marker in docs/editors.md,
    with the server command of this environment."""
    text = DOCS.read_text("utf-8")
    after = text.split("<!-- neovim-0.7 -->", 1)[1]
    block = after.split("```lua\n", 1)[1].split("```", 1)[0]
    assert 'cmd = { "memlint", "lsp" },' in block
    return block.replace('cmd = { "memlint", "lsp" },', "cmd = memlint_cmd,")


def test_neovim_shows_memlint_diagnostics(tmp_path: Path) -> None:
    nvim = shutil.which("nvim")
    assert nvim is not None, (
        "nvim is not installed: this test needs a real editor "
        "(Debian/Ubuntu: apt-get install -y neovim)"
    )
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1"\n', "utf-8")
    agent = root / "agent.py"
    agent.write_text(AGENT, "utf-8")
    init = tmp_path / "init.lua"
    init.write_text(INIT_LUA.replace("__SNIPPET__", documented_snippet()), "utf-8")
    out = tmp_path / "received.json"
    env = dict(
        os.environ,
        MEMLINT_NVIM_OUT=str(out),
        # The server as users start it: the `memlint` command of this environment.
        MEMLINT_NVIM_CMD=json.dumps([str(Path(sys.executable).with_name("memlint")), "lsp"])
        if Path(sys.executable).with_name("memlint").exists()
        else json.dumps([sys.executable, "-m", "memlint", "lsp"]),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    completed = subprocess.run(
        [nvim, "--headless", "-n", "-i", "NONE", "--clean", "-u", str(init), str(agent)],
        cwd=root,
        env=env,
        capture_output=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert out.exists(), (
        f"Neovim wrote nothing (exit {completed.returncode}): "
        f"{completed.stdout.decode(errors='replace')[-2000:]} {completed.stderr.decode(errors='replace')[-2000:]}"
    )
    received = json.loads(out.read_text("utf-8"))
    assert received["ok"] is True, received
    (client,) = received["clients"]
    assert client["name"] == "memlint"
    assert client["server"] in ("memlint", None)  # 0.7 keeps no server_info
    assert client["code_actions"] is True
    (diagnostic,) = received["diagnostics"]
    assert diagnostic["source"] == "memlint"
    assert diagnostic["code"] == "MEM101"
    assert diagnostic["lnum"] == FLAGGED_LINE
    line = AGENT.splitlines()[FLAGGED_LINE]
    assert diagnostic["col"] == line.index("uuid4()")
    assert diagnostic["end_col"] == line.index("uuid4()") + len("uuid4()")
    assert diagnostic["message"].startswith("UUID stored at memory path \"rid\"")
