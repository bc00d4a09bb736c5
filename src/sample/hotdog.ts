// The starter's sample business rule: is this food a hot dog? "hotdog", "Hot Dog", "hot-dog",
// "HOT_DOGS" and "🌭" are; "hot dogs and fries" is not.

/** Foods longer than this are not a hot dog (and are not worth normalising). */
export const MAX_FOOD_LENGTH = 200;

export function isHotdog(food: string): boolean {
  if (food.length > MAX_FOOD_LENGTH) return false;
  const normalized = food.normalize('NFKC').trim();
  if (/^(\u{1F32D}\uFE0F?)+$/u.test(normalized)) return true;
  const letters = normalized.toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '');
  return letters === 'hotdog' || letters === 'hotdogs';
}
