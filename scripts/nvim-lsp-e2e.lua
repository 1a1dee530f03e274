-- Headless Neovim as a real LSP client of `apolint lsp`: opens the draft
-- given on the command line, waits for apolint's diagnostics, applies the
-- first quick fix through Neovim's own code-action machinery, and prints
-- what Neovim holds. Used by scripts/nvim-lsp-e2e.sh. Works with the
-- built-in client of Neovim 0.7 (Debian 12) and later.
local apolint = os.getenv('APOLINT') or 'apolint'
local buf = vim.api.nvim_get_current_buf()
local function out(s) io.stdout:write(s .. '\n') end
local function show(label)
  local diags = vim.diagnostic.get(buf)
  table.sort(diags, function(a, b) return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col) end)
  out(string.format('%s: %d diagnostics', label, #diags))
  for _, d in ipairs(diags) do
    local sev = ({ 'error', 'warning', 'info', 'hint' })[d.severity]
    out(string.format('  %d:%d-%d:%d %s %s', d.lnum + 1, d.col, d.end_lnum + 1, d.end_col, sev, d.code or '?'))
  end
  return #diags
end

local client_id = vim.lsp.start_client({
  name = 'apolint',
  cmd = { apolint, 'lsp' },
  root_dir = vim.fn.getcwd(),
  init_options = { customerName = 'Мария' },
})
vim.lsp.buf_attach_client(buf, client_id)

local ok = vim.wait(10000, function() return #vim.diagnostic.get(buf) > 0 end, 20)
if not ok then
  out('FAIL: no diagnostics within 10 s')
  vim.cmd('cquit 1')
end
local before = show('after open')

-- Ask for code actions on the line of the first fixable finding, apply the
-- quick fix as Neovim would when the user picks it.
local client = vim.lsp.get_client_by_id(client_id)
local params = vim.lsp.util.make_range_params()
local target
for _, d in ipairs(vim.diagnostic.get(buf)) do
  if d.code == 'ru.bureaucratese.v-nastoyashchee-vremya' then target = d end
end
if not target then
  out('FAIL: expected ru.bureaucratese.v-nastoyashchee-vremya')
  vim.cmd('cquit 1')
end
params.range = { start = { line = target.lnum, character = target.col }, ['end'] = { line = target.lnum, character = target.col } }
params.context = { diagnostics = {} }
local resp = client.request_sync('textDocument/codeAction', params, 5000, buf)
local applied = false
for _, action in ipairs((resp and resp.result) or {}) do
  out('  action: ' .. action.title)
  if not applied and action.isPreferred and action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
    applied = true
  end
end
if not applied then
  out('FAIL: no quick fix offered')
  vim.cmd('cquit 1')
end
out('line 2 now: ' .. vim.api.nvim_buf_get_lines(buf, 1, 2, false)[1])
vim.wait(10000, function() return #vim.diagnostic.get(buf) < before end, 20)
local after = show('after quick fix')
if after >= before then
  out('FAIL: the fixed finding is still reported')
  vim.cmd('cquit 1')
end
out('OK')
vim.cmd('qall!')
