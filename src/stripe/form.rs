//! Stripe's request encoding: `application/x-www-form-urlencoded` with bracketed keys
//! (`capabilities[transfers][requested]=true`).

/// Ordered form fields; the order is kept so identical requests encode identically (an
/// Idempotency-Key replay must send the same body).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn new() -> Form {
        Form::default()
    }

    pub fn field(mut self, key: &str, value: impl Into<String>) -> Form {
        self.0.push((key.to_owned(), value.into()));
        self
    }

    /// `application/x-www-form-urlencoded` (space as `+`, as HTML forms and Stripe's own
    /// libraries send it).
    pub fn encode(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.0)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_brackets_and_reserved_characters() {
        let form = Form::new()
            .field("type", "express")
            .field("capabilities[transfers][requested]", "true")
            .field(
                "return_url",
                "https://c500.store/onboarding/return?token=a.b&x=1 2",
            )
            .field("metadata[name]", "Kéyz");
        assert_eq!(
            form.encode(),
            "type=express&capabilities%5Btransfers%5D%5Brequested%5D=true\
             &return_url=https%3A%2F%2Fc500.store%2Fonboarding%2Freturn%3Ftoken%3Da.b%26x%3D1+2\
             &metadata%5Bname%5D=K%C3%A9yz"
        );
        assert_eq!(Form::new().encode(), "");
    }
}
