// Default container names, adjective_noun as podman and docker make them. Math.random is enough
// (a name is claimed exclusively, a taken one is drawn again) and needs no node:crypto.
const randomInt = (n: number): number => Math.floor(Math.random() * n);

const ADJECTIVES = [
  'agile',
  'bold',
  'brave',
  'calm',
  'clever',
  'eager',
  'fair',
  'gentle',
  'happy',
  'jolly',
  'keen',
  'kind',
  'lucid',
  'merry',
  'nimble',
  'proud',
  'quiet',
  'quick',
  'sharp',
  'sleepy',
  'steady',
  'sunny',
  'tidy',
  'witty',
];
const NOUNS = [
  'badger',
  'bison',
  'colt',
  'cougar',
  'drover',
  'falcon',
  'heifer',
  'heron',
  'lasso',
  'mare',
  'mesa',
  'mule',
  'mustang',
  'otter',
  'pony',
  'prairie',
  'ranch',
  'saddle',
  'spur',
  'stallion',
  'steer',
  'trail',
  'wagon',
  'yak',
];

export function randomName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}`;
}
