"""Writes the parameter shapes of the Stripe endpoints C500 calls, read from the official
`stripe` package's typed params (stripe.params.*), as JSON for the stand-in to check every
request against: unknown parameters, missing required ones and values outside a Literal.

    python3 dev/stripe_params.py OUT.json     (needs `stripe` importable; scripts/setup.sh)
"""
import importlib
import json
import re
import sys

import stripe

# (method, path template) -> (module, class). Grows with the endpoints the worker calls.
ENDPOINTS = {
    ("POST", "/v1/accounts"): ("stripe.params._account_create_params", "AccountCreateParams"),
    ("GET", "/v1/accounts/{id}"): ("stripe.params._account_retrieve_params", "AccountRetrieveParams"),
    ("POST", "/v1/account_links"): ("stripe.params._account_link_create_params", "AccountLinkCreateParams"),
    ("POST", "/v1/accounts/{id}/login_links"): ("stripe.params._account_create_login_link_params", "AccountCreateLoginLinkParams"),
    ("POST", "/v1/checkout/sessions"): ("stripe.params.checkout._session_create_params", "SessionCreateParams"),
    ("GET", "/v1/checkout/sessions/{id}"): ("stripe.params.checkout._session_retrieve_params", "SessionRetrieveParams"),
    ("POST", "/v1/checkout/sessions/{id}/expire"): ("stripe.params.checkout._session_expire_params", "SessionExpireParams"),
    ("GET", "/v1/payment_intents/{id}"): ("stripe.params._payment_intent_retrieve_params", "PaymentIntentRetrieveParams"),
    ("POST", "/v1/transfers"): ("stripe.params._transfer_create_params", "TransferCreateParams"),
    ("POST", "/v1/transfers/{id}/reversals"): ("stripe.params._transfer_create_reversal_params", "TransferCreateReversalParams"),
    ("POST", "/v1/refunds"): ("stripe.params._refund_create_params", "RefundCreateParams"),
    ("GET", "/v1/refunds"): ("stripe.params._refund_list_params", "RefundListParams"),
    ("GET", "/v1/transfers"): ("stripe.params._transfer_list_params", "TransferListParams"),
}


def annotation_text(a):
    return a if isinstance(a, str) else getattr(a, "__forward_arg__", None) or repr(a)


def own_fields(cls):
    # Not RequestOptions' keys (api_key, idempotency_key, …): those are client options.
    from stripe._request_options import RequestOptions

    client_options = set(getattr(RequestOptions, "__annotations__", {}))
    return {k: v for k, v in cls.__dict__.get("__annotations__", {}).items() if k not in client_options}


def shape_of(cls, namespace, depth=0):
    fields = {}
    for name, ann in own_fields(cls).items():
        text = annotation_text(ann)
        # ForwardRef('X') inside typing objects shows up in repr.
        text = re.sub(r"ForwardRef\('([^']+)'\)", r"\1", text)
        text = re.sub(r"\b(typing_extensions|typing)\.", "", text)
        required = "NotRequired" not in text
        refs = [n for n in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)
                if isinstance(namespace.get(n), type) and hasattr(namespace[n], "__annotations__") and namespace[n] is not cls
                and n.endswith(tuple(["Params"] + [""])) and n[0].isupper() and n not in ("Dict", "List", "Literal", "NotRequired", "UntypedStripeObject")]
        refs = [n for n in refs if issubclass(namespace[n], dict)]
        field = {"required": required}
        if refs and depth < 12:
            nested = shape_of(namespace[refs[0]], namespace, depth + 1)
            field.update({"kind": "list" if "List[" in text else "object", "fields": nested})
        elif "Dict[str" in text:
            field["kind"] = "map"
        elif re.search(r"List\[", text):
            field["kind"] = "list"
        else:
            field["kind"] = "scalar"
        literal = re.fullmatch(r"(?:NotRequired\[)?\"?Literal\[([^\]]*)\]\"?\]?", text)
        if literal:
            field["enum"] = re.findall(r"'([^']*)'", literal.group(1))
        fields[name] = field
    return fields


def main(out):
    result = {"stripe_version": stripe.VERSION, "endpoints": {}}
    for (method, path), (module, cls_name) in ENDPOINTS.items():
        mod = importlib.import_module(module)
        cls = getattr(mod, cls_name)
        result["endpoints"][f"{method} {path}"] = {"params": cls_name, "fields": shape_of(cls, vars(mod))}
    with open(out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(f"stripe {stripe.VERSION}: {len(ENDPOINTS)} endpoints → {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdout")
