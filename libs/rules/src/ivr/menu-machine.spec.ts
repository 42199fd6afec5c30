import type { IvrMenuSnapshot, IvrMenuTree, IvrSessionState } from './menu-machine';
import {
  goBack,
  hangUp,
  IVR_DEFAULT_INVALID_PROMPT,
  IVR_DEFAULT_TIMEOUT_PROMPT,
  IVR_MAX_HISTORY,
  IVR_MAX_MENU_STACK,
  IvrMenuTreeError,
  IvrSessionEndedError,
  pressDigit,
  startIvrSession,
  timeOut,
} from './menu-machine';

const AT = '2026-11-29T12:00:00.000Z';

function menu(id: string, overrides: Partial<IvrMenuSnapshot> = {}): IvrMenuSnapshot {
  return {
    id,
    name: id,
    prompt: `prompt ${id}`,
    items: [],
    timeoutMs: 10_000,
    maxRetries: 2,
    invalidPrompt: null,
    timeoutPrompt: null,
    version: 1,
    ...overrides,
  };
}

/** root: 1 → sales (submenu), 2 → agent support, 3 → transfer +1555, 9 → hangup, 0 → repeat, * → back.
 *  sales: 1 → agent sales, * → back, 2 → root (submenu: a cycle, allowed), 3 → missing (not in tree). */
const tree: IvrMenuTree = {
  rootMenuId: 'root',
  menus: {
    root: menu('root', {
      items: [
        { digit: '1', label: 'Sales', action: 'submenu', target: 'sales' },
        { digit: '2', label: 'Support', action: 'agent', target: 'support-queue' },
        { digit: '3', label: 'Billing', action: 'transfer', target: '+15550100' },
        { digit: '9', label: 'Bye', action: 'hangup' },
        { digit: '0', label: 'Again', action: 'repeat' },
        { digit: '*', label: 'Back', action: 'back' },
      ],
      invalidPrompt: 'Invalid choice at root.',
      timeoutPrompt: 'Still there?',
    }),
    sales: menu('sales', {
      maxRetries: 0,
      items: [
        { digit: '1', label: 'Sales agent', action: 'agent', target: 'sales-queue' },
        { digit: '*', label: 'Back', action: 'back', target: null },
        { digit: '2', label: 'Main', action: 'submenu', target: 'root' },
        { digit: '3', label: 'Gone', action: 'submenu', target: 'gone' },
        { digit: '#', label: 'Bye', action: 'hangup', target: 'goodbye' },
      ],
    }),
  },
};

type Event = ['digit', string] | ['back'] | ['timeout'] | ['hangup'];

function run(events: Event[], from?: IvrSessionState) {
  let { state, turn } = from ? { state: from, turn: null as never } : startIvrSession(tree);
  for (const event of events) {
    const step =
      event[0] === 'digit'
        ? pressDigit(tree, state, event[1], AT)
        : event[0] === 'back'
          ? goBack(tree, state, AT)
          : event[0] === 'timeout'
            ? timeOut(tree, state, AT)
            : hangUp(tree, state, AT);
    state = step.state;
    turn = step.turn;
  }
  return { state, turn };
}

describe('startIvrSession', () => {
  it('starts at the root, awaiting input, with an empty stack and history', () => {
    expect(startIvrSession(tree)).toEqual({
      state: { menuId: 'root', menuStack: [], retryCount: 0, ended: false, outcome: null, history: [] },
      turn: {
        state: 'awaiting_input',
        menuId: 'root',
        prompt: 'prompt root',
        action: null,
        target: null,
        outcome: null,
      },
    });
  });

  it('refuses a tree without its root', () => {
    expect(() => startIvrSession({ rootMenuId: 'nope', menus: {} })).toThrow(IvrMenuTreeError);
    expect(() => startIvrSession({ rootMenuId: 'toString', menus: {} })).toThrow(IvrMenuTreeError);
  });
});

describe('one event from a fresh session', () => {
  it.each<[string, Event[], Partial<IvrSessionState>, Record<string, unknown>]>([
    [
      'submenu pushes the current menu and moves to the target',
      [['digit', '1']],
      { menuId: 'sales', menuStack: ['root'], retryCount: 0, ended: false },
      { state: 'awaiting_input', menuId: 'sales', prompt: 'prompt sales', action: 'submenu', target: 'sales' },
    ],
    [
      'agent ends with {agent, target}',
      [['digit', '2']],
      { menuId: 'root', ended: true, outcome: { type: 'agent', target: 'support-queue' } },
      {
        state: 'ended',
        prompt: null,
        action: 'agent',
        target: 'support-queue',
        outcome: { type: 'agent', target: 'support-queue' },
      },
    ],
    [
      'transfer ends with {transfer, target}',
      [['digit', '3']],
      { ended: true, outcome: { type: 'transfer', target: '+15550100' } },
      { state: 'ended', action: 'transfer', target: '+15550100', outcome: { type: 'transfer', target: '+15550100' } },
    ],
    [
      'hangup item ends with {hangup, null}',
      [['digit', '9']],
      { ended: true, outcome: { type: 'hangup', target: null } },
      { state: 'ended', action: 'hangup', target: null, outcome: { type: 'hangup', target: null } },
    ],
    [
      'repeat re-prompts the current menu',
      [['digit', '0']],
      { menuId: 'root', retryCount: 0, ended: false },
      { state: 'awaiting_input', menuId: 'root', prompt: 'prompt root', action: 'repeat', target: null },
    ],
    [
      'a back item at the root re-prompts and counts nothing',
      [['digit', '*']],
      { menuId: 'root', menuStack: [], retryCount: 0, ended: false },
      { state: 'awaiting_input', menuId: 'root', prompt: 'prompt root', action: 'back', target: null },
    ],
    [
      'goBack at the root re-prompts and counts nothing',
      [['back']],
      { menuId: 'root', menuStack: [], retryCount: 0, ended: false },
      { state: 'awaiting_input', menuId: 'root', prompt: 'prompt root', action: 'back' },
    ],
    [
      'an unknown digit answers invalidPrompt and counts a retry',
      [['digit', '5']],
      { menuId: 'root', retryCount: 1, ended: false },
      { state: 'awaiting_input', menuId: 'root', prompt: 'Invalid choice at root.', action: null, outcome: null },
    ],
    [
      'a string that is no key at all is an invalid digit',
      [['digit', '12']],
      { retryCount: 1, ended: false },
      { state: 'awaiting_input', prompt: 'Invalid choice at root.' },
    ],
    [
      'a timeout answers timeoutPrompt and counts a retry',
      [['timeout']],
      { menuId: 'root', retryCount: 1, ended: false },
      { state: 'awaiting_input', menuId: 'root', prompt: 'Still there?', action: null },
    ],
    [
      'hangUp ends with {hangup}',
      [['hangup']],
      { ended: true, outcome: { type: 'hangup', target: null } },
      { state: 'ended', prompt: null, outcome: { type: 'hangup', target: null } },
    ],
  ])('%s', (_name, events, expectedState, expectedTurn) => {
    const { state, turn } = run(events);
    expect(state).toMatchObject(expectedState);
    expect(turn).toMatchObject(expectedTurn);
    expect(state.history).toHaveLength(1);
  });
});

describe('sequences', () => {
  it.each<[string, Event[], Partial<IvrSessionState>, Record<string, unknown>]>([
    [
      'back pops to the previous menu and resets the retry count',
      [['timeout'], ['digit', '1'], ['back']],
      { menuId: 'root', menuStack: [], retryCount: 0 },
      { state: 'awaiting_input', menuId: 'root', prompt: 'prompt root', action: 'back', target: 'root' },
    ],
    [
      'a back item pops too',
      [
        ['digit', '1'],
        ['digit', '*'],
      ],
      { menuId: 'root', menuStack: [] },
      { menuId: 'root', action: 'back', target: 'root' },
    ],
    [
      'a submenu cycle pushes the stack each time',
      [
        ['digit', '1'],
        ['digit', '2'],
        ['digit', '1'],
      ],
      { menuId: 'sales', menuStack: ['root', 'sales', 'root'] },
      { menuId: 'sales', action: 'submenu' },
    ],
    [
      'back unwinds a cycle one menu at a time',
      [['digit', '1'], ['digit', '2'], ['digit', '1'], ['back'], ['back']],
      { menuId: 'sales', menuStack: ['root'] },
      { menuId: 'sales', action: 'back' },
    ],
    [
      'a valid digit resets the retry count',
      [['digit', '5'], ['timeout'], ['digit', '0']],
      { retryCount: 0, ended: false },
      { action: 'repeat' },
    ],
    [
      'a back at the root keeps the retry count',
      [['digit', '5'], ['back']],
      { retryCount: 1, ended: false },
      { action: 'back' },
    ],
    [
      'retries up to maxRetries (2) re-prompt',
      [['digit', '5'], ['timeout']],
      { retryCount: 2, ended: false },
      { state: 'awaiting_input', prompt: 'Still there?' },
    ],
    [
      'the failure past maxRetries ends with max_retries (invalid)',
      [['digit', '5'], ['timeout'], ['digit', '7']],
      { retryCount: 3, ended: true, outcome: { type: 'max_retries', target: null } },
      { state: 'ended', prompt: null, action: null, target: null, outcome: { type: 'max_retries', target: null } },
    ],
    [
      'the failure past maxRetries ends with max_retries (timeout)',
      [['timeout'], ['timeout'], ['timeout']],
      { retryCount: 3, ended: true, outcome: { type: 'max_retries', target: null } },
      { state: 'ended', outcome: { type: 'max_retries', target: null } },
    ],
    [
      'maxRetries 0 ends on the first failure; the default invalid prompt is not needed',
      [
        ['digit', '1'],
        ['digit', '5'],
      ],
      { menuId: 'sales', retryCount: 1, ended: true, outcome: { type: 'max_retries', target: null } },
      { state: 'ended', menuId: 'sales' },
    ],
    [
      'a submenu target missing from the snapshot counts as invalid',
      [
        ['digit', '1'],
        ['digit', '3'],
      ],
      { menuId: 'sales', ended: true, outcome: { type: 'max_retries', target: null } },
      { state: 'ended' },
    ],
    [
      'a hangup item with a target keeps it',
      [
        ['digit', '1'],
        ['digit', '#'],
      ],
      { ended: true, outcome: { type: 'hangup', target: 'goodbye' } },
      { menuId: 'sales', outcome: { type: 'hangup', target: 'goodbye' } },
    ],
    [
      'the retry count is reset when entering a submenu',
      [
        ['digit', '5'],
        ['digit', '1'],
      ],
      { menuId: 'sales', retryCount: 0 },
      { menuId: 'sales' },
    ],
  ])('%s', (_name, events, expectedState, expectedTurn) => {
    const { state, turn } = run(events);
    expect(state).toMatchObject(expectedState);
    expect(turn).toMatchObject(expectedTurn);
  });

  it('uses default prompts that repeat the menu prompt when none is configured', () => {
    const plain: IvrMenuTree = { rootMenuId: 'm', menus: { m: menu('m') } };
    const start = startIvrSession(plain);
    expect(pressDigit(plain, start.state, '1', AT).turn.prompt).toBe(`${IVR_DEFAULT_INVALID_PROMPT} prompt m`);
    expect(timeOut(plain, start.state, AT).turn.prompt).toBe(`${IVR_DEFAULT_TIMEOUT_PROMPT} prompt m`);
  });

  it('records history entries {at, menuId, input, result}', () => {
    let { state } = startIvrSession(tree);
    state = pressDigit(tree, state, '5', '2026-01-01T00:00:01.000Z').state;
    state = pressDigit(tree, state, '1', '2026-01-01T00:00:02.000Z').state;
    state = timeOut(tree, state, '2026-01-01T00:00:03.000Z').state;
    expect(state.history).toEqual([
      { at: '2026-01-01T00:00:01.000Z', menuId: 'root', input: '5', result: 'invalid' },
      { at: '2026-01-01T00:00:02.000Z', menuId: 'root', input: '1', result: 'submenu' },
      { at: '2026-01-01T00:00:03.000Z', menuId: 'sales', input: null, result: 'max_retries' },
    ]);
  });

  it('keeps only the last 50 history entries', () => {
    let { state } = startIvrSession(tree);
    for (let i = 0; i < IVR_MAX_HISTORY + 10; i += 1) {
      state = pressDigit(tree, state, '0', `t${i}`).state;
    }
    expect(state.history).toHaveLength(IVR_MAX_HISTORY);
    expect(state.history[0]?.at).toBe('t10');
    expect(state.history[IVR_MAX_HISTORY - 1]?.at).toBe(`t${IVR_MAX_HISTORY + 9}`);
  });

  it('bounds the menu stack of a submenu cycle', () => {
    let { state } = startIvrSession(tree);
    for (let i = 0; i < IVR_MAX_MENU_STACK + 10; i += 1) {
      state = pressDigit(tree, state, state.menuId === 'root' ? '1' : '2', AT).state;
    }
    expect(state.menuStack).toHaveLength(IVR_MAX_MENU_STACK);
  });

  it('does not mutate the state it is given', () => {
    const { state } = startIvrSession(tree);
    const frozen = JSON.parse(JSON.stringify(state));
    pressDigit(tree, state, '1', AT);
    timeOut(tree, state, AT);
    hangUp(tree, state, AT);
    expect(state).toEqual(frozen);
  });
});

describe('an ended session', () => {
  const ended = run([['digit', '2']]).state;
  it.each<[string, () => unknown]>([
    ['pressDigit', () => pressDigit(tree, ended, '1', AT)],
    ['goBack', () => goBack(tree, ended, AT)],
    ['timeOut', () => timeOut(tree, ended, AT)],
    ['hangUp', () => hangUp(tree, ended, AT)],
  ])('%s throws IvrSessionEndedError', (_name, call) => {
    expect(call).toThrow(IvrSessionEndedError);
  });
});
