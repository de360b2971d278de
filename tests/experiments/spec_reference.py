#!/usr/bin/env python3
"""spec_reference.py - README's spec reference and `seqtune validate` agree.

Every field that `validate` prints (for specs covering each sampler and pruner
kind, both targets and an objective spec) has a row in README.md's reference
table, every row names a field that `validate` prints, and each plain default
in the table (a number, a quoted word, true/false) is the value `validate`
fills in when the spec leaves the field out; the keys a search-space parameter
prints (`when` among them) are the README's search.space.NAME.* rows. Exit 1 with the disagreements.
"""
import json, os, re, subprocess, sys, tempfile

src = os.environ.get('SEQTUNE_SRC', os.path.join(os.path.dirname(__file__), '..', '..'))
exe = os.environ.get('SEQTUNE_BIN', os.path.join(src, 'build', 'seqtune'))
readme = open(os.path.join(src, 'README.md'), encoding='utf-8').read()

# ---- the README table -------------------------------------------------------
section = readme.split('### Reference', 1)[1].split('\n## ', 1)[0]
rows = {}
for line in section.splitlines():
    cells = [c.strip() for c in re.split(r'(?<!\\)\|', line.strip())[1:-1]]
    if len(cells) != 4 or not cells[0].startswith('`'):
        continue
    names = re.findall(r'`([^`]+)`', cells[0])
    defaults = [d.strip() for d in cells[2].split(',')] if len(names) > 1 else [cells[2]]
    prefix = names[0].rsplit('.', 1)[0] + '.' if '.' in names[0] else ''
    for i, n in enumerate(names):
        full = n if '.' in n or i == 0 else prefix + n
        rows[full] = defaults[i] if len(defaults) == len(names) else cells[2]

def plain_default(text):
    """The default as a JSON value, or None when the cell is not a plain value."""
    t = text.replace('`', '').strip()
    m = re.fullmatch(r'(true|false)( \(tpe\))?', t)
    if m:
        return m.group(1) == 'true'
    if re.fullmatch(r'-?[0-9.]+(e-?[0-9]+)?', t):
        return float(t)
    m = re.fullmatch(r'"([a-z_]+)"|([a-z_]+)', t)
    if m and t not in ('none',):
        return m.group(1) or m.group(2)
    return None

# ---- what validate prints -----------------------------------------------------
tmp = tempfile.mkdtemp(prefix='seqtune_ref_')
candles = os.path.join(tmp, 'c.csv')
subprocess.run([exe, 'synth', '-o', candles, '--bars', '600', '--seed', '3'], check=True,
               capture_output=True)
space = {'units': {'type': 'int', 'low': 4, 'high': 8}}
lstm = {'name': 'ref', 'data': {'path': candles}, 'features': ['log_return'],
        'search': {'space': space}}

def validate(spec):
    p = os.path.join(tmp, 'spec.json')
    json.dump(spec, open(p, 'w'))
    r = subprocess.run([exe, 'validate', p], capture_output=True, text=True)
    if r.returncode != 0:
        print('validate refused', json.dumps(spec), r.stderr, file=sys.stderr)
        sys.exit(1)
    return json.loads(r.stdout)

def leaves(obj, path=''):
    for k, v in obj.items():
        p = path + k
        if isinstance(v, dict) and not p.startswith('search.space'):
            yield from leaves(v, p + '.')
        else:
            yield p, v

def with_search(extra):
    s = json.loads(json.dumps(lstm))
    s['search'].update(extra)
    return s

specs = [lstm,
         with_search({'sampler': {'name': 'gp'}, 'pruner': {'name': 'percentile', 'percentile': 25}}),
         with_search({'sampler': {'name': 'random', 'seed': 1}, 'pruner': {'name': 'successive_halving'}}),
         dict(lstm, target={'kind': 'return'}),
         dict(lstm, target={'kind': 'multiclass', 'deadband': 0.001,
                            'class_weights': [1, 0.5, 1]}),
         # per-layer sizes and dropouts print only when set
         dict(lstm, training=dict({'layers': 4},
                                  **{'%s_%d' % (k, i): v for i in range(1, 5)
                                     for k, v in (('units', 8), ('dropout', 0.1))})),
         {'name': 'obj', 'objective': {'builtin': 'branin'},
          'search': {'space': {'x1': {'type': 'float', 'low': -5, 'high': 10},
                               'x2': {'type': 'float', 'low': 0, 'high': 15}},
                     'enqueue': [{'x1': 1.5}], 'warm_start': {'study': 'other'}}},
         with_search({'metrics': ['sharpe', 'max_drawdown'], 'directions': ['maximize', 'minimize'],
                      'sampler': {'name': 'motpe'}}),
         {'name': 'moo', 'objective': {'builtin': 'zdt1'},
          'search': {'metrics': ['f1', 'f2'],
                     'space': {'x%d' % (i + 1): {'type': 'float', 'low': 0, 'high': 1}
                               for i in range(30)}}}]
printed = {}
for i, s in enumerate(specs):
    for p, v in leaves(validate(s)):
        printed.setdefault(p, v if i == 0 else printed.get(p, v))
defaults = dict(leaves(validate(lstm)))

# One place for every default: a spec that leaves search.sampler out and one
# that names each sampler with nothing else get the same settings as the
# sampler's own defaults (the omitted sampler is TPE).
bad = []
bare = validate(lstm)['search']['sampler']
named = validate(with_search({'sampler': {'name': bare['name']}}))['search']['sampler']
if bare != named:
    bad.append('search.sampler omitted gives %s, naming "%s" gives %s'
               % (json.dumps(bare), bare['name'], json.dumps(named)))
for name in ('tpe', 'random', 'sobol', 'gp', 'motpe', 'nsga2'):
    a = validate(with_search({'sampler': {'name': name}}))['search']['sampler']
    b = validate(with_search({'sampler': dict(a)}))['search']['sampler']
    if a != b:
        bad.append('sampler %s: its printed defaults read back differently: %s vs %s'
                   % (name, json.dumps(a), json.dumps(b)))

# ---- compare --------------------------------------------------------------------
skip_rows = {'search.sampler', 'search.pruner', 'search.space', 'features', 'name', 'data.path'}
for p in printed:
    if p.startswith('search.space') or p in ('name', 'features', 'data.path'):
        continue
    if p not in rows:
        bad.append('validate prints %s, which the README reference does not list' % p)
for r in rows:
    if r in skip_rows or r.startswith('search.space.') or r.startswith('objective.command'):
        continue
    if r not in printed:
        bad.append('the README lists %s, which validate never prints' % r)
# The keys of a search-space parameter (every type, a step, a condition) and the
# README's search.space.NAME.* rows name the same keys.
space_spec = {'name': 'keys', 'objective': {'command': ['true']},
              'search': {'space': {'i': {'type': 'int', 'low': 1, 'high': 4, 'step': 1},
                                   'f': {'type': 'float', 'low': 0, 'high': 1, 'log': False,
                                         'when': {'i': {'>=': 2}}},
                                   'c': {'type': 'categorical', 'choices': ['a', 'b']}}}}
space_keys = set()
for dim in validate(space_spec)['search']['space'].values():
    space_keys |= set(dim)
readme_keys = {r[len('search.space.NAME.'):] for r in rows if r.startswith('search.space.NAME.')}
for k in sorted(space_keys - readme_keys):
    bad.append('validate prints search.space.NAME.%s, which the README reference does not list' % k)
for k in sorted(readme_keys - space_keys):
    bad.append('the README lists search.space.NAME.%s, which validate never prints' % k)
checked = 0
for r, cell in rows.items():
    want = plain_default(cell)
    if want is None or r not in defaults:
        continue
    got = defaults[r]
    checked += 1
    same = abs(got - want) < 1e-12 if isinstance(want, float) and not isinstance(got, bool) \
        else got == want
    if not same:
        bad.append('%s: the README says the default is %s, validate fills in %r' % (r, cell, got))
for b in bad:
    print(b)
print('%d README rows, %d printed fields, %d defaults compared' % (len(rows), len(printed), checked))
print('%d passed, %d failed' % (1 if not bad else 0, 1 if bad else 0))
sys.exit(1 if bad or checked < 30 else 0)
