// The fake provider's repositories: issues, pull requests and comments shaped like GitHub's REST
// answers (the fields hookflow reads, plus enough noise to be realistic), and what apps read besides:
// files, commits, the paths a pull request changes. Those start empty; a test fills them in.

export interface FakeIssue {
  id: number;
  number: number;
  title: string;
  state: 'open' | 'closed';
  user: { login: string };
  labels: { name: string }[];
  comments: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  body: string;
  pull_request?: { url: string };
}

interface FakeComment {
  id: number;
  issueNumber: number;
  user: { login: string };
  body: string;
  created_at: string;
  updated_at: string;
}

/** A commit on the default branch: `author` is the GitHub login it is attributed to. */
export interface FakeCommit {
  sha: string;
  author: string;
  message: string;
  date: string;
}

export interface FakeRepo {
  id: number;
  fullName: string;
  installation: string;
  issues: FakeIssue[];
  pulls: FakeIssue[];
  comments: FakeComment[];
  /** The default branch's files by path, as the contents API serves them. */
  files: Map<string, string>;
  /** The default branch's history, newest first. */
  commits: FakeCommit[];
  /** The paths each pull request changes, by its number. */
  pullFiles: Map<number, string[]>;
}

export interface RepoShape {
  id: number;
  installation: string;
  issues: number;
  pulls?: number;
  commentsPerIssue?: number;
}

const at = (n: number) => new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString();

export function makeRepo(fullName: string, shape: RepoShape): FakeRepo {
  const issues: FakeIssue[] = [];
  const pulls: FakeIssue[] = [];
  const comments: FakeComment[] = [];
  let number = 0;
  for (let i = 0; i < shape.issues; i++) {
    number++;
    issues.push({
      id: shape.id * 1_000_000 + number,
      number,
      title: `Issue ${number} of ${fullName}`,
      state: number % 3 === 0 ? 'closed' : 'open',
      user: { login: `user${number % 7}` },
      labels: number % 2 === 0 ? [{ name: 'bug' }] : [],
      comments: shape.commentsPerIssue ?? 0,
      created_at: at(number),
      updated_at: at(number + 1),
      closed_at: number % 3 === 0 ? at(number + 2) : null,
      body: `Something about ${number}. Reach me at someone${number}@example.com`,
    });
    for (let c = 0; c < (shape.commentsPerIssue ?? 0); c++) {
      comments.push({
        id: shape.id * 1_000_000 + 500_000 + comments.length + 1,
        issueNumber: number,
        user: { login: `user${c % 5}` },
        body: `Comment ${c} on ${number}`,
        created_at: at(number + c + 3),
        updated_at: at(number + c + 3),
      });
    }
  }
  for (let p = 0; p < (shape.pulls ?? 0); p++) {
    number++;
    pulls.push({
      id: shape.id * 1_000_000 + number,
      number,
      title: `Pull ${number} of ${fullName}`,
      state: number % 4 === 0 ? 'closed' : 'open',
      user: { login: `user${number % 7}` },
      labels: [],
      comments: 0,
      created_at: at(number),
      updated_at: at(number + 1),
      closed_at: number % 4 === 0 ? at(number + 2) : null,
      body: `Change ${number}`,
    });
  }
  return {
    id: shape.id,
    fullName,
    installation: shape.installation,
    issues,
    pulls,
    comments,
    files: new Map(),
    commits: [],
    pullFiles: new Map(),
  };
}
