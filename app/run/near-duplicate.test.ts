import { describe, expect, it } from "vitest";
import { makeRecord } from "../../testing/records.js";
import { fmix32, fnv1a } from "../../lib/random.js";
import { jaccard, minhash, NearDuplicateIndex, shingles, words } from "./near-duplicate.js";

const SPANISH = [
  "¡Hola! ¿Qué tal el fin de semana? Yo fui a la sierra con mis primos y volvimos agotados.",
  "Pues bastante tranquilo, la verdad. Me quedé en casa leyendo una novela de misterio buenísima.",
  "¡Qué envidia! Hace siglos que no leo nada. ¿Cuál era la novela? Necesito algo para el tren.",
  "Una de Dolores Redondo, la de Baztán. Me tiene enganchadísima, no puedo parar de leer por las noches.",
  "Me la apunto. Oye, ¿y al final te apuntaste a las clases de cerámica de los martes en el centro cívico?",
  "Sí, empiezo el martes que viene. Estoy un poco nerviosa, nunca he hecho nada parecido con las manos.",
];
const OTHER_SPANISH = [
  "Buenas, ¿sabes si el mercado abre mañana? Quería comprar pescado fresco para la cena del sábado.",
  "Creo que sí, abre a las ocho como siempre. Mi madre va todos los días a por el pan.",
  "Perfecto, entonces iré temprano antes del trabajo. ¿Tú vienes a la cena o tienes guardia?",
  "Tengo guardia hasta las diez, pero llegaré para el postre si no me retrasan en el hospital.",
  "Vale, te guardo un trozo de tarta de queso, que sé que te encanta la de mi abuela.",
  "¡Eres un sol! Nos vemos el sábado entonces, y dale recuerdos a tu familia de mi parte.",
];
const CHINESE = [
  "你好！周末过得怎么样？我和表哥去爬山了，累得不行。",
  "挺安静的，我在家看了一本特别好看的推理小说。",
  "真羡慕你！我好久没看书了。那本小说叫什么名字？我坐地铁的时候想看。",
  "是东野圭吾的白夜行，我每天晚上都停不下来，一直看到半夜。",
  "我记下了。对了，你最后报名周二的陶艺课了吗？就是社区中心那个。",
  "报了，下周二开始。我有点紧张，从来没做过这种手工活。",
];

describe("words", () => {
  it("cuts Chinese and Japanese into words, not one long string", () => {
    expect(words("我喜欢在周末去公园散步", "zh").length).toBeGreaterThan(4);
    expect(words("週末は公園を散歩するのが好きです", "ja").length).toBeGreaterThan(4);
    expect(words("¡Hola, María! ¿Qué tal?", "es")).toEqual(["hola", "maría", "qué", "tal"]);
  });
});

describe("near-duplicate dialogues", () => {
  it("rejects a near-copy (a few words changed) with the id of the original and the similarity", () => {
    const index = new NearDuplicateIndex();
    const original = makeRecord("es-1-00000", "es", SPANISH);
    expect(index.review(original)).toBe(original);
    const copy = SPANISH.map((t) => t.replace("novela de misterio", "novela policiaca"));
    const a = shingles(SPANISH.join("\n"), "es");
    const b = shingles(copy.join("\n"), "es");
    expect(jaccard(a, b)).toBeGreaterThan(0.8);
    const reviewed = index.review(makeRecord("es-1-00001", "es", copy));
    expect(reviewed.status).toBe("rejected");
    expect(reviewed.rejection_reasons).toHaveLength(1);
    expect(reviewed.rejection_reasons[0]!.check).toBe("near_duplicate");
    expect(reviewed.rejection_reasons[0]!.detail).toMatch(/similar to es-1-00000 \(J≈0\.\d\d\)/);
    expect(index.size).toBe(1);
  });

  it("keeps a different dialogue, and one that only shares a few sentences", () => {
    const index = new NearDuplicateIndex();
    index.review(makeRecord("es-1-00000", "es", SPANISH));
    expect(index.review(makeRecord("es-1-00001", "es", OTHER_SPANISH)).status).toBe("accepted");
    const mixed = [...SPANISH.slice(0, 2), ...OTHER_SPANISH.slice(2)];
    expect(index.review(makeRecord("es-1-00002", "es", mixed)).status).toBe("accepted");
    expect(index.size).toBe(3);
  });

  it("works on Chinese", () => {
    const index = new NearDuplicateIndex();
    index.review(makeRecord("zh-1-00000", "zh", CHINESE));
    const copy = CHINESE.map((t) => t.replace("特别好看", "非常好看"));
    const reviewed = index.review(makeRecord("zh-1-00001", "zh", copy));
    expect(reviewed.status).toBe("rejected");
    expect(reviewed.rejection_reasons[0]!.detail).toContain("zh-1-00000");
    const other = [
      "今天天气真好，我们去海边吧。",
      "好啊，我带上相机和三明治。",
      "别忘了防晒霜，上次你晒得很厉害。",
      "放心吧，这次我准备得很充分。",
    ];
    expect(index.review(makeRecord("zh-1-00002", "zh", other)).status).toBe("accepted");
  });

  it("leaves rejected records alone and does not index them", () => {
    const index = new NearDuplicateIndex();
    const rejected = makeRecord("es-1-00000", "es", SPANISH, "rejected");
    expect(index.review(rejected)).toBe(rejected);
    expect(index.review(makeRecord("es-1-00001", "es", SPANISH)).status).toBe("accepted");
  });

  it("decides the same after a resume: the index is rebuilt from the accepted records on disk", () => {
    const onDisk = [makeRecord("es-1-00000", "es", SPANISH), makeRecord("es-1-00001", "es", OTHER_SPANISH, "rejected")];
    const index = NearDuplicateIndex.fromRecords(onDisk);
    expect(index.size).toBe(1);
    expect(index.review(makeRecord("es-1-00002", "es", SPANISH)).status).toBe("rejected");
    expect(index.review(makeRecord("es-1-00003", "es", OTHER_SPANISH)).status).toBe("accepted");
  });
});

describe("MinHash signature", () => {
  it("is the minimum of fmix32(shingle ^ seed) per seed over fnv1a hashes of the joined word trigrams", () => {
    // the straightforward definition; the index computes the same values without building strings, in signed integers
    const seeds = Array.from({ length: 128 }, (_, i) => fmix32(Math.imul(i + 1, 0x9e3779b9) ^ 0x5bd1e995));
    const values: number[] = [];
    for (const text of [SPANISH.join("\n"), CHINESE.join("\n"), "uno dos", "ÿ ÿ ÿ ÿ"]) {
      const ws = words(text, "es");
      const expected = new Set(
        ws.length < 3 ? [fnv1a(ws.join(" "))] : ws.slice(2).map((_, i) => fnv1a(ws.slice(i, i + 3).join(" "))),
      );
      const got = shingles(text, "es");
      expect([...got].sort()).toEqual([...expected].sort());
      const reference = seeds.map((seed) => Math.min(...[...expected].map((shingle) => fmix32(shingle ^ seed))));
      expect(Array.from(minhash(got)!)).toEqual(reference);
      values.push(...reference);
    }
    // minima on both sides of 2³¹ (the signed fast path must keep the unsigned order)
    expect(values.some((h) => h >= 2 ** 31) && values.some((h) => h < 2 ** 31)).toBe(true);
  });
});
