// The settings-form preview: renders a platform UI JSON document with vue-form-generator
// (the platform's own renderer), and mirrors brevetti_schema's settings pipeline in the
// browser: transport decoding (_transport.py), visible_when activity and defaults
// (_pipeline.py, Condition.holds in _model.py), then the emitted JSON Schema with ajv.
// The page loads ui.json and schema.json and posts to check, all relative to itself, so
// any server can mount it under any path.
(function () {
  "use strict";

  const MISSING = Symbol("missing");
  const NOT_SET = Symbol("not set");

  // -- small helpers -------------------------------------------------------------------

  function isPlainObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function clone(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  function getPath(tree, path) {
    let node = tree;
    for (const part of path.split(".")) {
      if (!isPlainObject(node) || !Object.prototype.hasOwnProperty.call(node, part)) {
        return undefined;
      }
      node = node[part];
    }
    return node;
  }

  function setPath(tree, path, value) {
    const parts = path.split(".");
    let node = tree;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainObject(node[part])) node[part] = {};
      node = node[part];
    }
    node[parts[parts.length - 1]] = value;
  }

  function parentOf(path) {
    const cut = path.lastIndexOf(".");
    return cut < 0 ? "" : path.slice(0, cut);
  }

  function prefixes(path) {
    const parts = path.split(".");
    return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("."));
  }

  function commonSection(a, b) {
    const left = a.split(".");
    const right = b.split(".");
    const shared = [];
    for (let i = 0; i < Math.min(left.length, right.length) && left[i] === right[i]; i++) {
      shared.push(left[i]);
    }
    return shared.join(".");
  }

  function deepMerge(target, source) {
    for (const [key, value] of Object.entries(source)) {
      if (isPlainObject(value) && isPlainObject(target[key])) deepMerge(target[key], value);
      else target[key] = clone(value);
    }
    return target;
  }

  // Python's == on JSON values: 1 == 1.0 == True, lists and dicts compared item by item.
  function pyEqual(a, b) {
    const scalar = (v) => typeof v === "number" || typeof v === "boolean";
    if (scalar(a) && scalar(b)) return Number(a) === Number(b);
    if (Array.isArray(a) && Array.isArray(b)) {
      return a.length === b.length && a.every((item, i) => pyEqual(item, b[i]));
    }
    if (isPlainObject(a) && isPlainObject(b)) {
      const keys = Object.keys(a);
      return (
        keys.length === Object.keys(b).length &&
        keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && pyEqual(a[k], b[k]))
      );
    }
    return a === b;
  }

  // Condition equality (_model._same): booleans are kept apart from 0 and 1.
  function same(a, b) {
    if (a === MISSING || b === MISSING) return false;
    if (typeof a === "boolean" || typeof b === "boolean") return a === b;
    return pyEqual(a, b);
  }

  function pyString(text) {
    const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
    const escaped = text
      .replace(/\\/g, "\\\\")
      .replace(/\n/g, "\\n")
      .replace(/\r/g, "\\r")
      .replace(/\t/g, "\\t");
    return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
  }

  // Python's repr of a JSON value, as the pipeline's messages show values.
  function pyRepr(value) {
    if (value === null || value === undefined) return "None";
    if (value === true) return "True";
    if (value === false) return "False";
    if (typeof value === "string") return pyString(value);
    if (typeof value === "number") return String(value);
    if (Array.isArray(value)) return "[" + value.map(pyRepr).join(", ") + "]";
    return "{" + Object.entries(value).map(([k, v]) => pyString(k) + ": " + pyRepr(v)).join(", ") + "}";
  }

  function describe(value) {
    const text = pyRepr(value);
    return text.length <= 60 ? text : text.slice(0, 57) + "...";
  }

  function shown(text) {
    return pyString(text.length <= 40 ? text : text.slice(0, 37) + "...");
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  }

  function pointerParts(pointer) {
    if (!pointer) return [];
    return pointer.slice(1).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  }

  // -- what each record is ---------------------------------------------------------------

  function typesOf(property) {
    const type = property && property.type;
    if (type === undefined) return [];
    return (Array.isArray(type) ? type : [type]).filter((t) => t !== "null");
  }

  // The field kind a record edits, with the JSON Schema property to tell integer from
  // number and a list from a JSON value (the loader's rules, _platform_ui_load.py).
  function kindOf(record, property) {
    const types = typesOf(property);
    const inputType = String(record.inputType || "text").toLowerCase();
    if (record.type === "input" && (inputType === "number" || inputType === "range")) {
      if (types.length) return types.includes("integer") ? "integer" : "number";
      return [].concat(record.validator || []).includes("integer") ? "integer" : "number";
    }
    if (record.type === "input" && inputType === "password") return "secret";
    if (record.type === "checkbox" || record.type === "switch") return "boolean";
    if (record.type === "select" || record.type === "radios") return "choice";
    if (record.type === "checklist") return "multi_choice";
    if (record.isJson) {
      return types.length === 1 && types[0] === "array" ? "list" : "json";
    }
    return "text";
  }

  function optionValues(record) {
    return (record.values || []).map((option) => {
      let value = option;
      if (isPlainObject(option)) value = "id" in option ? option.id : option.value;
      if (record.isJson && typeof value === "string") {
        try {
          return JSON.parse(value);
        } catch (error) {
          return value;
        }
      }
      return value;
    });
  }

  function itemKindOf(field) {
    const items = field.property && field.property.items;
    const type = typesOf(items)[0];
    const names = { integer: "integer", number: "number", boolean: "boolean" };
    return names[type] || (field.record.brevetti && field.record.brevetti.item_kind) || "text";
  }

  // -- transport decoding (_transport.decode_value) ------------------------------------------

  class DecodeError extends Error {}

  const TRUE_WORDS = ["true", "1", "yes", "on"];
  const FALSE_WORDS = ["false", "0", "no", "off"];

  function decodeInteger(field, text) {
    const trimmed = text.trim();
    if (/^[+-]?\d+$/.test(trimmed)) return parseInt(trimmed, 10);
    const number = Number(trimmed);
    if (trimmed !== "" && Number.isInteger(number)) return number;
    throw new DecodeError(`expected an integer, got ${shown(text)}`);
  }

  function decodeNumber(field, text) {
    const trimmed = text.trim();
    const number = Number(trimmed);
    if (trimmed === "" || Number.isNaN(number)) {
      throw new DecodeError(`expected a number, got ${shown(text)}`);
    }
    return number;
  }

  function decodeBoolean(field, text) {
    const lowered = text.trim().toLowerCase();
    if (TRUE_WORDS.includes(lowered)) return true;
    if (FALSE_WORDS.includes(lowered)) return false;
    throw new DecodeError(`expected true/false (or 1/0, yes/no), got ${shown(text)}`);
  }

  function decodeJson(field, text) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new DecodeError(`expected JSON text, ${error.message}`);
    }
  }

  function decodeChoice(field, text) {
    for (const option of field.options) {
      if (typeof option === "string" && option === text) return text;
    }
    for (const option of field.options) {
      if (typeof option !== "string" && JSON.stringify(option) === text.trim()) return option;
    }
    if (field.record.isJson) return decodeJson(field, text);
    return text;
  }

  function decodeListItems(field, text) {
    const stripped = text.trim();
    if (stripped.startsWith("[")) return decodeJson(field, text);
    const item = { kind: itemKindOf(field), record: {}, options: [] };
    const parts = stripped ? stripped.split(",").map((p) => p.trim()) : [];
    return parts.map((part) => DECODERS[item.kind](item, part));
  }

  function decodeMultiChoice(field, text) {
    const stripped = text.trim();
    if (stripped.startsWith("[")) return decodeJson(field, text);
    return stripped ? stripped.split(",").map((p) => decodeChoice(field, p.trim())) : [];
  }

  const DECODERS = {
    integer: decodeInteger,
    number: decodeNumber,
    text: (field, text) => text,
    secret: (field, text) => text,
    boolean: decodeBoolean,
    choice: decodeChoice,
    multi_choice: decodeMultiChoice,
    list: decodeListItems,
    json: decodeJson,
  };

  function decodeValue(field, value) {
    if (typeof value !== "string") return value;
    if (value === "" && field.kind !== "text" && field.kind !== "secret") return NOT_SET;
    return DECODERS[field.kind](field, value);
  }

  // -- messages for ajv's errors, in the words of the kinds' checks (_kinds) ----------------

  const TYPE_WORDS = {
    integer: "an integer",
    number: "a number",
    string: "text",
    boolean: "true or false",
    array: "a list",
    object: "a mapping",
    null: "nothing",
  };

  function typeWords(value) {
    const names = (Array.isArray(value) ? value : [value]).filter((n) => n !== "null");
    return names.map((n) => TYPE_WORDS[n] || n).join(" or ") || "nothing";
  }

  function optionsText(field) {
    return field ? " (" + field.options.map(describe).join(", ") + ")" : "";
  }

  const RENDER = {
    type: (g, v) => `expected ${typeWords(v)}, got ${g}`,
    minimum: (g, v) => `${g} is below the minimum ${v}`,
    maximum: (g, v) => `${g} is above the maximum ${v}`,
    exclusiveMinimum: (g, v) => `${g} must be greater than ${v}`,
    exclusiveMaximum: (g, v) => `${g} must be less than ${v}`,
    multipleOf: (g, v) => `${g} is not a multiple of ${v}`,
    minLength: (g, v) => `text is shorter than ${v} characters`,
    maxLength: (g, v) => `text is longer than ${v} characters`,
    pattern: (g, v) => `${g} does not match the pattern ${pyString(v)}`,
    enum: (g, v, f) => `${g} is not one of the options${optionsText(f)}`,
    const: (g, v, f) => `${g} is not one of the options${optionsText(f)}`,
    oneOf: (g, v, f) => `${g} is not one of the options${optionsText(f)}`,
    anyOf: (g) => `${g} is not an accepted value`,
    minItems: (g, v, f, data) => `expected at least ${v} items, got ${data.length}`,
    maxItems: (g, v, f, data) => `expected at most ${v} items, got ${data.length}`,
    uniqueItems: () => "items are listed more than once",
    format: (g, v) => `${g} is not a valid ${v}`,
  };

  // -- the preview of one document ---------------------------------------------------------

  class Preview {
    constructor(ui, jsonSchema, Ajv) {
      this.ui = ui;
      this.jsonSchema = jsonSchema;
      this.records = (ui.fields || []).map((record) => Object.assign({}, record));
      this.fields = new Map(); // dotted path -> field info
      this.sectionConditions = new Map(); // section path -> visibleWhen
      this.recordSections = []; // record index -> the section whose activity it follows
      this.ajvError = null;
      this.validate = null;
      this.index();
      if (Ajv) this.compile(Ajv);
    }

    index() {
      this.records.forEach((record) => {
        if (record.type === "label" && record.tag && record.visibleWhen) {
          this.sectionConditions.set(record.tag, record.visibleWhen);
        }
        if (record.model) {
          const property = this.propertyOf(record.model);
          const field = {
            path: record.model,
            record,
            property,
            options: [],
            required: record.required === true,
          };
          field.kind = kindOf(record, property);
          field.options = optionValues(record);
          field.hasDefault = !!property && Object.prototype.hasOwnProperty.call(property, "default");
          field.defaultValue = field.hasDefault ? property.default : undefined;
          this.fields.set(record.model, field);
        }
      });
      const own = this.records.map((record) => {
        if (record.model) return parentOf(record.model);
        if (record.tag) return record.tag;
        return null;
      });
      this.records.forEach((record, i) => {
        if (own[i] !== null) {
          this.recordSections.push(own[i]);
          return;
        }
        const marked = record.brevetti && record.brevetti.section;
        if (marked) {
          this.recordSections.push(marked);
          return;
        }
        const before = own.slice(0, i).reverse().find((s) => s !== null);
        const after = own.slice(i + 1).find((s) => s !== null);
        this.recordSections.push(
          before === undefined || after === undefined ? "" : commonSection(before, after)
        );
      });
    }

    propertyOf(path) {
      let node = this.jsonSchema;
      for (const part of path.split(".")) {
        node = node && node.properties && node.properties[part];
      }
      return node || null;
    }

    compile(Ajv) {
      try {
        const ajv = new Ajv({
          allErrors: true,
          strict: false,
          verbose: true,
          validateFormats: false,
          multipleOfPrecision: 9,
        });
        this.validate = ajv.compile(this.jsonSchema);
      } catch (error) {
        this.ajvError = String(error && error.message ? error.message : error);
      }
    }

    defaults() {
      const model = {};
      for (const record of this.records) {
        if (record.model && record.default !== undefined && getPath(model, record.model) === undefined) {
          setPath(model, record.model, clone(record.default));
        }
      }
      return model;
    }

    presetModel(name) {
      const model = this.defaults();
      const preset = (this.ui.presets || {})[name];
      return preset ? deepMerge(model, preset) : model;
    }

    // Everything the page shows, from the form's model: what the platform would send,
    // which records are active, and every problem the pipeline would report.
    evaluate(model) {
      const problems = [];
      const present = new Map(); // path -> transport value (as JSON carries it)
      const decoded = new Map(); // path -> decoded value, NOT_SET, or a DecodeError
      for (const field of this.fields.values()) {
        const value = getPath(model, field.path);
        if (value === undefined) continue;
        const carried = JSON.parse(JSON.stringify(value)); // NaN -> null, as sent
        present.set(field.path, carried);
        try {
          decoded.set(field.path, decodeValue(field, carried));
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          decoded.set(field.path, error);
        }
      }
      // Values of inactive fields are left out. Leaving one out can change what another
      // condition sees (an absent value, or its default), so look for the set of values
      // that is exactly the set of fields active under it: then the pipeline, which
      // judges activity once on what it gets, agrees with the page.
      const given = new Map(present);
      let kept = new Map(present);
      let activity = this.activity(kept, decoded);
      for (let round = 0; round < 2 * given.size + 2; round++) {
        const next = new Map([...given].filter(([path]) => activity.field(path)));
        const settled = next.size === kept.size && [...next.keys()].every((p) => kept.has(p));
        kept = next;
        activity = this.activity(kept, decoded);
        if (settled) break;
      }
      present.clear();
      kept.forEach((value, path) => present.set(path, value));
      const sent = {};
      for (const [path, value] of present) setPath(sent, path, value);
      for (const [path, value] of decoded) {
        if (present.has(path) && value instanceof DecodeError) {
          problems.push(this.problem(path, value.message, present.get(path)));
        }
      }
      const complete = this.complete(present, decoded, activity, problems);
      this.check(complete, problems);
      const recordActive = this.records.map((record, i) => {
        const section = activity.section(this.recordSections[i]);
        return record.model ? section && activity.field(record.model) : section;
      });
      return { sent, complete, problems: dedupe(problems), recordActive };
    }

    activity(present, decoded) {
      const cache = new Map();
      const preview = this;
      const given = (path) => {
        const value = decoded.get(path);
        return present.has(path) && value !== NOT_SET && !(value instanceof DecodeError)
          ? value
          : MISSING;
      };
      const lookup = (path) => {
        const value = given(path);
        if (value !== MISSING) return value;
        const field = preview.fields.get(path);
        if (field && field.hasDefault && active(path)) return field.defaultValue;
        return MISSING;
      };
      const holds = (condition) => {
        if (condition.all) return condition.all.every(holds);
        if (condition.any) return condition.any.some(holds);
        const current = lookup(condition.field);
        if ("equals" in condition) return same(current, condition.equals);
        if ("not_equals" in condition) return !same(current, condition.not_equals);
        return (condition.one_of || []).some((v) => same(current, v));
      };
      const active = (path) => {
        if (!path) return true;
        if (cache.has(path)) return cache.get(path);
        cache.set(path, true); // cycles are refused when a schema is built
        const field = preview.fields.get(path);
        const condition = field ? field.record.visibleWhen : preview.sectionConditions.get(path);
        const result = active(parentOf(path)) && (!condition || holds(condition));
        cache.set(path, result);
        return result;
      };
      return { field: active, section: active };
    }

    complete(present, decoded, activity, problems) {
      const tree = {};
      for (const field of this.fields.values()) {
        if (!activity.field(field.path)) continue;
        for (const section of prefixes(field.path)) {
          if (getPath(tree, section) === undefined) setPath(tree, section, {});
        }
        const value = decoded.get(field.path);
        if (present.has(field.path) && value !== NOT_SET && !(value instanceof DecodeError)) {
          setPath(tree, field.path, value);
        } else if (field.hasDefault) {
          setPath(tree, field.path, clone(field.defaultValue));
        } else if (field.required) {
          problems.push(this.problem(field.path, "a value is required", null));
        } else {
          setPath(tree, field.path, null);
        }
      }
      return tree;
    }

    check(tree, problems) {
      if (!this.validate || this.validate(tree)) return;
      for (const error of this.validate.errors || []) {
        if (error.keyword === "if") continue;
        if (/\/(oneOf|anyOf)\//.test(error.schemaPath)) continue; // as jsonschema's leaves
        const parts = pointerParts(error.instancePath);
        if (error.keyword === "required") {
          const path = [...parts, error.params.missingProperty].join(".");
          problems.push(this.problem(path, "a value is required", null));
          continue;
        }
        const fieldPath = this.fieldPathOf(parts);
        const field = this.fields.get(fieldPath) || null;
        const inner = field ? parts.slice(fieldPath.split(".").length) : [];
        const path = field ? fieldPath + locText(inner) : parts.join(".");
        problems.push(this.problem(path, this.message(error, field), error.data, fieldPath, inner));
      }
    }

    fieldPathOf(parts) {
      for (let end = parts.length; end > 0; end--) {
        const path = parts.slice(0, end).join(".");
        if (this.fields.has(path)) return path;
      }
      return parts.join(".");
    }

    message(error, field) {
      const secret = field && field.kind === "secret";
      const given = secret ? "the value" : describe(error.data);
      const render = RENDER[error.keyword];
      if (render) return render(given, error.schema, field, error.data);
      return secret ? `the value is not valid (${error.keyword})` : error.message;
    }

    // A problem as the pipeline reports it: `path` is derived from the location (list
    // items in brackets, keys inside a JSON value after dots), `field` the field it is in.
    problem(path, message, value, fieldPath, inner) {
      const field = this.fields.get(fieldPath === undefined ? path : fieldPath);
      const secret = field && field.kind === "secret" && value !== null && value !== "";
      return {
        path,
        field: field ? field.path : null,
        inner: inner || [],
        label: field ? field.record.label || "" : "",
        message,
        value: secret ? "********" : value === undefined ? null : value,
      };
    }
  }

  // `[1]` for a list index, `.key` for a key: the path text of a location inside a value.
  function locText(parts) {
    return parts.map((p) => (/^[0-9]+$/.test(p) ? `[${p}]` : `.${p}`)).join("");
  }

  // What the form shows next to a field for a problem inside its value: `item 1: ...`.
  function shownAtField(problem) {
    if (!problem.inner.length) return problem.message;
    const [head, ...rest] = problem.inner;
    const where = /^[0-9]+$/.test(head) ? `item ${head}` : describe(head);
    return `${where}${rest.length ? "/" + rest.join("/") : ""}: ${problem.message}`;
  }

  function dedupe(problems) {
    const seen = new Set();
    return problems.filter((p) => {
      const key = p.path + "\u0000" + p.message;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  // -- the page --------------------------------------------------------------------------

  async function fetchJson(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  function prepareRecords(preview, state) {
    preview.records.forEach((record, i) => {
      const shownByDefault = record.visible !== false;
      record.visible = function () {
        return (shownByDefault || state.showAdvanced) && state.recordActive[i] !== false;
      };
      if (record.model) {
        if (record.id === undefined) record.id = "field-" + record.model;
        const attributes = record.attributes || {};
        record.attributes = Object.assign({ wrapper: {}, label: {} }, attributes, {
          input: Object.assign({}, attributes.input || {}, { "data-model": record.model }),
        });
      }
    });
  }

  function fail(message) {
    const box = document.getElementById("boot-error");
    box.textContent = message;
    box.hidden = false;
    document.body.dataset.state = "failed";
  }

  async function boot() {
    if (!window.Vue || !window.VueFormGenerator) {
      fail("The page's libraries did not load: run `make assets` and reload.");
      return;
    }
    const Ajv = window.ajv2020 && (window.ajv2020.default || window.ajv2020);
    const [ui, jsonSchema] = await Promise.all([fetchJson("ui.json"), fetchJson("schema.json")]);
    const preview = new Preview(ui, jsonSchema, Ajv);
    const state = window.Vue.observable({ showAdvanced: false, recordActive: [] });
    prepareRecords(preview, state);
    window.Vue.use(window.VueFormGenerator);
    const model = preview.defaults();

    const app = new window.Vue({
      el: "#app",
      data: {
        title: ui.title || "Settings form preview",
        presetNames: Object.keys(ui.presets || {}),
        preset: "",
        model,
        formSchema: { fields: preview.records },
        formOptions: { validateAfterLoad: false, validateAfterChanged: false },
        state,
        checking: false,
        checkResult: null,
        checkError: "",
        ajvError: preview.ajvError,
      },
      computed: {
        evaluation() {
          return preview.evaluate(this.model);
        },
        settingsText() {
          return JSON.stringify(this.evaluation.sent, null, 2);
        },
        problems() {
          return this.evaluation.problems;
        },
      },
      watch: {
        evaluation() {
          this.publish();
        },
      },
      mounted() {
        this.publish();
        // vue-form-generator clears its errors on the tick after it mounts; publish after it
        this.$nextTick(() => this.$nextTick(() => this.publish(true)));
      },
      methods: {
        publish(ready) {
          state.recordActive = this.evaluation.recordActive;
          const form = this.$refs.form;
          if (!form) return;
          form.errors = this.problems
            .filter((p) => p.field && preview.fields.has(p.field))
            .map((p) => ({ field: preview.fields.get(p.field).record, error: escapeHtml(shownAtField(p)) }));
          if (ready) document.body.dataset.state = "ready";
        },
        applyPreset() {
          const fresh = preview.presetModel(this.preset);
          for (const key of Object.keys(this.model)) this.$delete(this.model, key);
          for (const [key, value] of Object.entries(fresh)) this.$set(this.model, key, value);
          this.checkResult = null;
        },
        labelOf(path) {
          const field = preview.fields.get(path);
          return field ? field.record.label : "";
        },
        async check() {
          this.checking = true;
          this.checkError = "";
          try {
            const response = await fetch("check", {
              method: "POST",
              headers: { "Content-Type": "application/json" },
              body: this.settingsText,
            });
            const body = await response.json();
            if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
            this.checkResult = body;
          } catch (error) {
            this.checkResult = null;
            this.checkError = String(error.message || error);
          } finally {
            this.checking = false;
          }
        },
      },
    });
    window.brevettiPreview = { app, preview };
  }

  window.addEventListener("DOMContentLoaded", () => {
    boot().catch((error) => fail("The preview could not start: " + (error.message || error)));
  });
})();
