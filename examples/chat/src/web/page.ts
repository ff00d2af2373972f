// The chat page (bundled for the browser as /chat.js): log in with a name and a room, see who is
// there, write to the room or privately (click a name, or `/w name text`), and watch the
// connection. Everything shown is set as text, never as HTML.
import { type ChatPushes, EVERYONE, nameProblem } from '../app/chat-protocol.js';
import {
  type Address,
  ChatRefused,
  ChatRoom,
  type ChatRoomListener,
  type ConnectionStatus,
  type Login,
} from './chat-room.js';
import { parseInput } from './message-input.js';

function element<Type extends HTMLElement>(id: string, type: new () => Type): Type {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no #${id}`);
  return found;
}

const view = {
  status: element('status', HTMLSpanElement),
  roomName: element('room-name', HTMLSpanElement),
  leave: element('leave', HTMLButtonElement),
  rejoin: element('rejoin', HTMLButtonElement),
  login: element('login', HTMLElement),
  loginForm: element('login-form', HTMLFormElement),
  username: element('username', HTMLInputElement),
  room: element('room', HTMLInputElement),
  loginError: element('login-error', HTMLParagraphElement),
  chat: element('chat', HTMLElement),
  users: element('users', HTMLUListElement),
  messages: element('messages', HTMLOListElement),
  sendForm: element('send-form', HTMLFormElement),
  target: element('target', HTMLSelectElement),
  text: element('text', HTMLInputElement),
};

let gate: Address | undefined;
let room: ChatRoom | undefined;
let lastLogin: Login | undefined;
/** The user this page is, set before entering: the user list comes with the answer to `enter`. */
let me: string | undefined;
const users = new Set<string>();

/** What the indicator says for each status. */
const STATUS_TEXT: Readonly<Record<ConnectionStatus, string>> = {
  connecting: 'connecting…',
  online: 'online',
  reconnecting: 'reconnecting…',
  offline: 'offline',
};
let shown: ConnectionStatus = 'offline';

function setStatus(status: ConnectionStatus, detail: string): void {
  const previous = shown;
  shown = status;
  view.status.className = `status ${status}`;
  view.status.textContent = STATUS_TEXT[status];
  view.status.title = detail;
  // The room reconnects by itself: the button is for when it has given up.
  view.rejoin.hidden = status !== 'offline' || lastLogin === undefined;
  if (room === undefined) return;
  if (status === 'offline') note(`offline: ${detail}`);
  else if (status === 'reconnecting' && previous === 'online') note('connection lost: reconnecting…');
  else if (status === 'online' && previous === 'reconnecting') note(`reconnected: back in ${room.login.rid}`);
}

function note(text: string, kind = 'system'): void {
  const item = document.createElement('li');
  item.className = kind;
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  item.append(time, ` ${text}`);
  appendMessage(item);
}

function showMessage({ from, target, msg }: ChatPushes['onChat']): void {
  const item = document.createElement('li');
  const isPrivate = target !== EVERYONE;
  item.className = isPrivate ? 'private' : 'public';
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const who = document.createElement('strong');
  who.textContent = isPrivate ? `${from} → ${target}` : from;
  const text = document.createElement('span');
  text.textContent = msg;
  item.append(time, ' ', who, isPrivate ? ' (private) ' : ' ', text);
  appendMessage(item);
}

function appendMessage(item: HTMLLIElement): void {
  const list = view.messages;
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
  list.append(item);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function renderUsers(): void {
  const sorted = [...users].sort((a, b) => a.localeCompare(b));
  view.users.replaceChildren(
    ...sorted.map((user) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = user === me ? `${user} (you)` : user;
      button.addEventListener('click', () => pickTarget(user));
      item.append(button);
      return item;
    }),
  );
  const selected = view.target.value;
  view.target.replaceChildren(
    new Option('Everyone', EVERYONE),
    ...sorted.filter((user) => user !== me).map((user) => new Option(`Only ${user}`, user)),
  );
  view.target.value = users.has(selected) ? selected : EVERYONE;
}

function pickTarget(user: string): void {
  if (user === me) return;
  view.target.value = user;
  view.text.focus();
}

const listener: ChatRoomListener = {
  status: setStatus,
  users(list) {
    users.clear();
    for (const user of list) users.add(user);
    renderUsers();
  },
  joined(user) {
    users.add(user);
    renderUsers();
    note(`${user} joined`);
  },
  left(user) {
    users.delete(user);
    renderUsers();
    note(`${user} left`);
  },
  message: showMessage,
};

async function enter(login: Login): Promise<void> {
  if (gate === undefined) {
    const response = await fetch('/config.json');
    gate = ((await response.json()) as { gate: Address }).gate;
  }
  me = login.username;
  room = await ChatRoom.enter(gate, login, listener, { tls: location.protocol === 'https:' });
  lastLogin = login;
  view.roomName.textContent = `#${login.rid}`;
  view.login.hidden = true;
  view.chat.hidden = false;
  view.leave.hidden = false;
  note(`you entered ${login.rid} as ${login.username}`);
  view.text.focus();
}

view.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const login = { username: view.username.value.trim(), rid: view.room.value.trim() };
  const problem = nameProblem(login.username, 'username') ?? nameProblem(login.rid, 'rid');
  view.loginError.textContent = problem === undefined ? '' : problem.replace('rid', 'room');
  if (problem !== undefined) return;
  const button = view.loginForm.querySelector('button');
  if (button) button.disabled = true;
  enter(login)
    .catch((error: unknown) => {
      setStatus('offline', 'not connected');
      view.loginError.textContent =
        error instanceof ChatRefused ? error.message : `cannot connect: ${(error as Error).message}`;
    })
    .finally(() => {
      if (button) button.disabled = false;
    });
});

view.sendForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const current = room;
  if (current === undefined) return;
  const input = parseInput(view.text.value, view.target.value);
  if (input.kind === 'empty') return;
  if (input.kind === 'problem') {
    note(input.problem, 'problem');
    return;
  }
  view.text.value = '';
  current.send(input.target, input.content).catch((error: unknown) => {
    note(`not sent: ${(error as Error).message}`, 'problem');
  });
});

view.leave.addEventListener('click', () => {
  const current = room;
  room = undefined;
  lastLogin = undefined;
  users.clear();
  renderUsers();
  view.messages.replaceChildren();
  view.chat.hidden = true;
  view.leave.hidden = true;
  view.login.hidden = false;
  view.roomName.textContent = '';
  void current?.close();
  setStatus('offline', 'left the room');
});

view.rejoin.addEventListener('click', () => {
  const login = lastLogin;
  if (login === undefined) return;
  view.rejoin.disabled = true;
  void room?.close();
  enter(login)
    .catch((error: unknown) => note(`cannot enter again: ${(error as Error).message}`, 'problem'))
    .finally(() => {
      view.rejoin.disabled = false;
    });
});

setStatus('offline', 'not connected');
view.username.focus();
