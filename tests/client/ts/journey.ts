/**
 * An integrator's journey through the Modelyard API, typed only by what `openapi-typescript`
 * generates from the served spec: register -> token -> upload -> train -> wait -> predict ->
 * batch upload -> wait -> result -> delete.
 *
 * tests/client/test_generated_clients.py generates `./modelyard.d.ts` beside a copy of this file
 * and runs `tsc --noEmit --strict` on it, so the spec losing an operation, a documented status,
 * a request body, or a field this script sends or reads fails the type check.
 */
import type { paths } from "./modelyard";

type Method = "get" | "post" | "patch" | "delete";
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

// Request bodies, by media type; `never` when the operation declares none, so a literal fails.
type JsonBody<O> = O extends { requestBody: { content: { "application/json": infer B } } } ? B : never;
type FormBody<O> = O extends { requestBody: { content: { "application/x-www-form-urlencoded": infer B } } }
    ? B
    : never;
type MultipartBody<O> = O extends { requestBody: { content: { "multipart/form-data": infer B } } } ? B : never;

// The statuses an operation documents, and the JSON body of one of them.
type Status<O> = O extends { responses: infer R } ? keyof R & number : never;
type Answer<O, S> = O extends { responses: infer R }
    ? S extends keyof R
        ? R[S] extends { content: { "application/json": infer A } }
            ? A
            : undefined
        : never
    : never;
type PathParams<O> = O extends { parameters: { path: infer T } } ? T : undefined;

interface Call<O> {
    params?: PathParams<O>;
    token?: string;
    json?: JsonBody<O>;
    body?: FormData | URLSearchParams;
}

/** Call `method path` and insist on the documented `status`; return its typed JSON body. */
async function call<P extends keyof paths, M extends Method, S extends Status<Operation<P, M>>>(
    base: string,
    method: M,
    path: P,
    status: S,
    init: Call<Operation<P, M>> = {},
): Promise<Answer<Operation<P, M>, S>> {
    const params: Record<string, string> = init.params ?? {};
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]));
    const headers: Record<string, string> = {};
    if (init.token !== undefined) headers["Authorization"] = `Bearer ${init.token}`;
    let body: BodyInit | undefined = init.body;
    if (init.json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(init.json);
    }
    const response = await fetch(base + url, { method: method.toUpperCase(), headers, body });
    if (response.status !== status) {
        throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    }
    const type = response.headers.get("content-type") ?? "";
    return (type.includes("json") ? await response.json() : undefined) as Answer<Operation<P, M>, S>;
}

/** A multipart body with the fields the operation declares; binary fields take a Blob. */
function multipart<B>(fields: { [K in keyof B]: B[K] extends string ? string | Blob : B[K] }): FormData {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) {
        if (value instanceof Blob) form.append(name, value, `${name}.csv`);
        else if (typeof value === "string") form.append(name, value);
    }
    return form;
}

/** An application/x-www-form-urlencoded body with the fields the operation declares. */
function urlencoded<B>(fields: B): URLSearchParams {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(fields as Record<string, unknown>)) {
        if (typeof value === "string") form.append(name, value);
    }
    return form;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Register, train on `table` (a CSV with a `churned` column), score `rows` online and in batch. */
export async function journey(base: string, email: string, table: Blob, rows: Blob): Promise<string> {
    const account: JsonBody<Operation<"/api/v1/auth/register", "post">> = {
        email,
        password: "correct horse battery",
    };
    const user = await call(base, "post", "/api/v1/auth/register", 201, { json: account });

    const login: FormBody<Operation<"/api/v1/auth/token", "post">> = {
        username: user.email,
        password: account.password,
    };
    const { access_token: token, token_type } = await call(base, "post", "/api/v1/auth/token", 200, {
        body: urlencoded(login),
    });
    if (token_type !== "bearer") throw new Error(`unexpected token type ${token_type}`);

    const upload = multipart<MultipartBody<Operation<"/api/v1/datasets", "post">>>({
        file: table,
        name: "customers",
    });
    const dataset = await call(base, "post", "/api/v1/datasets", 201, { token, body: upload });
    const profile = await call(base, "get", "/api/v1/datasets/{dataset_id}/profile", 200, {
        token,
        params: { dataset_id: dataset.id },
    });
    const columns = profile.column_profiles.map((column) => column.name);

    const training: JsonBody<Operation<"/api/v1/training-jobs", "post">> = {
        dataset_id: dataset.id,
        target: "churned",
        time_budget_s: 2,
        exclude_columns: ["customer_id", "email"],
        metric: "roc_auc",
    };
    let job = await call(base, "post", "/api/v1/training-jobs", 202, { token, json: training });
    while (job.status === "queued" || job.status === "running") {
        await sleep(200);
        job = await call(base, "get", "/api/v1/training-jobs/{job_id}", 200, {
            token,
            params: { job_id: job.id },
        });
    }
    if (job.status !== "succeeded" || job.model_id === null) throw new Error(`training ${job.status}`);
    const model_id = job.model_id;

    const request: JsonBody<Operation<"/api/v1/models/{model_id}/predictions", "post">> = {
        records: [
            {
                signup_date: "2018-01-01",
                region: "north",
                plan: "basic",
                monthly_fee: 9.0,
                tenure_months: 20,
                support_tickets: 0,
            },
        ],
    };
    const online = await call(base, "post", "/api/v1/models/{model_id}/predictions", 200, {
        token,
        params: { model_id },
        json: request,
    });
    const scored = online.predictions.map((record) => `${record.index}: ${String(record.prediction)}`);

    const batchUpload = multipart<MultipartBody<Operation<"/api/v1/models/{model_id}/batch-predictions", "post">>>({
        file: rows,
    });
    let batch = await call(base, "post", "/api/v1/models/{model_id}/batch-predictions", 202, {
        token,
        params: { model_id },
        body: batchUpload,
    });
    while (batch.status === "queued" || batch.status === "running") {
        await sleep(200);
        batch = await call(base, "get", "/api/v1/batch-predictions/{job_id}", 200, {
            token,
            params: { job_id: batch.id },
        });
    }
    if (batch.status !== "succeeded" || batch.result_url === null) throw new Error(`batch ${batch.status}`);
    const result = await fetch(base + batch.result_url, { headers: { Authorization: `Bearer ${token}` } });
    const csv = await result.text();

    await call(base, "delete", "/api/v1/models/{model_id}", 204, { token, params: { model_id } });
    await call(base, "delete", "/api/v1/datasets/{dataset_id}", 204, { token, params: { dataset_id: dataset.id } });
    await call(base, "delete", "/api/v1/auth/me", 204, { token });
    return [columns.join(","), ...scored, `${batch.rows_scored} rows scored`, csv].join("\n");
}
