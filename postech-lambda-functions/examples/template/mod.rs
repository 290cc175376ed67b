//! The packaged CloudFormation template as the template checks read it: resources by type,
//! and the REST API's route table (resource tree, methods, how API Gateway picks one).
//!
//! Shared by the `check_*` examples (`#[path]`-included: a folder without `main.rs` is not
//! an example of its own).

use serde_json::Value;

/// HTTP methods an `ANY` method stands for in the checks.
pub const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// A parsed template.
pub struct Template {
    value: Value,
}

impl Template {
    /// Reads a template JSON file.
    pub fn load(path: &str) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|error| format!("{path}: {error}"))?;
        let value = serde_json::from_str(&text).map_err(|error| format!("{path}: {error}"))?;
        Ok(Self::from_value(value))
    }

    /// A template already parsed (tests build small ones).
    pub fn from_value(value: Value) -> Self {
        Self { value }
    }

    /// The resource with this logical id.
    pub fn resource(&self, logical_id: &str) -> Option<&Value> {
        self.value["Resources"].get(logical_id)
    }

    /// Every resource of a type, by logical id.
    pub fn of_type<'a>(&'a self, kind: &str) -> Vec<(&'a str, &'a Value)> {
        self.value["Resources"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, resource)| resource["Type"] == kind)
            .map(|(logical_id, resource)| (logical_id.as_str(), resource))
            .collect()
    }

    /// The REST API's resources (with their full paths) and methods.
    pub fn route_table(&self) -> Result<RouteTable, String> {
        let mut resources = vec!["/".to_owned()];
        for (logical_id, _) in self.of_type("AWS::ApiGateway::Resource") {
            resources.push(self.resource_path(&serde_json::json!({ "Ref": logical_id }), 0)?);
        }
        let mut methods = Vec::new();
        for (logical_id, method) in self.of_type("AWS::ApiGateway::Method") {
            let properties = &method["Properties"];
            let path = self.resource_path(&properties["ResourceId"], 0)?;
            let http_method = properties["HttpMethod"]
                .as_str()
                .ok_or_else(|| format!("{logical_id}: HttpMethod is not a string"))?
                .to_owned();
            let authorizer = match properties["AuthorizationType"].as_str() {
                Some("NONE") => None,
                Some("CUSTOM") => Some(
                    properties["AuthorizerId"]["Ref"]
                        .as_str()
                        .ok_or_else(|| format!("{logical_id}: CUSTOM without an AuthorizerId Ref"))?
                        .to_owned(),
                ),
                other => {
                    return Err(format!(
                        "{logical_id}: unexpected AuthorizationType {other:?}"
                    ));
                }
            };
            methods.push(RestMethod {
                logical_id: logical_id.to_owned(),
                path,
                http_method,
                authorizer,
                api_key_required: properties["ApiKeyRequired"] == true,
                integration: properties["Integration"].clone(),
            });
        }
        if methods.is_empty() {
            return Err("the template declares no AWS::ApiGateway::Method".into());
        }
        methods.sort_by(|a, b| (&a.path, &a.http_method).cmp(&(&b.path, &b.http_method)));
        resources.sort();
        Ok(RouteTable { resources, methods })
    }

    /// `/a/b/{id}` for a `ResourceId` (a `Ref` to a resource, or the API's root).
    fn resource_path(&self, id: &Value, depth: usize) -> Result<String, String> {
        if depth > 20 {
            return Err("the resource tree is deeper than 20 segments (a cycle?)".into());
        }
        if id["Fn::GetAtt"][1] == "RootResourceId" {
            return Ok("/".to_owned());
        }
        let logical_id = id["Ref"]
            .as_str()
            .ok_or_else(|| format!("resource id {id} is neither a Ref nor the root"))?;
        let resource = self
            .resource(logical_id)
            .filter(|resource| resource["Type"] == "AWS::ApiGateway::Resource")
            .ok_or_else(|| format!("{logical_id} is not an AWS::ApiGateway::Resource"))?;
        let part = resource["Properties"]["PathPart"]
            .as_str()
            .ok_or_else(|| format!("{logical_id}: PathPart is not a string"))?;
        let parent = self.resource_path(&resource["Properties"]["ParentId"], depth + 1)?;
        Ok(format!("{}/{part}", parent.trim_end_matches('/')))
    }
}

/// One method of the REST API.
#[derive(Debug, Clone)]
pub struct RestMethod {
    pub logical_id: String,
    /// The resource's full path, e.g. `/v1/api/produtos/{id}`.
    pub path: String,
    /// `GET`, `POST`, … or `ANY`.
    pub http_method: String,
    /// The authorizer's logical id, `None` for a public method.
    pub authorizer: Option<String>,
    pub api_key_required: bool,
    pub integration: Value,
}

impl RestMethod {
    /// The methods this one answers (`ANY` stands for [`METHODS`]).
    pub fn answered_methods(&self) -> Vec<&str> {
        if self.http_method == "ANY" {
            METHODS.to_vec()
        } else {
            vec![self.http_method.as_str()]
        }
    }
}

/// The REST API's resources and methods.
pub struct RouteTable {
    /// Every resource path, the root included.
    pub resources: Vec<String>,
    pub methods: Vec<RestMethod>,
}

/// Where a request ends up.
#[derive(Debug)]
pub enum Landing<'a> {
    /// On this method.
    Method(&'a RestMethod),
    /// On a resource without that method, or on no resource: the gateway answers 404
    /// (MISSING_AUTHENTICATION_TOKEN, infra/gateway-responses.yml) without calling anything.
    NotFound,
}

impl RouteTable {
    /// The resource API Gateway picks for `path`, then its method for `method`: among the
    /// resources matching the whole path, the most specific one (segment by segment: a
    /// literal beats `{var}`, which beats `{proxy+}`); a method missing on it is a 404, it does
    /// not fall back to a less specific resource. REST APIs route `/x/` as `/x`.
    pub fn land(&self, method: &str, path: &str) -> Landing<'_> {
        let path = match path.strip_suffix('/') {
            Some(rest) if !rest.is_empty() => rest,
            _ => path,
        };
        let Some(resource) = self
            .resources
            .iter()
            .filter_map(|resource| specificity(resource, path).map(|score| (score, resource)))
            .max_by(|(a, _), (b, _)| a.cmp(b))
            .map(|(_, resource)| resource)
        else {
            return Landing::NotFound;
        };
        let on_resource = self
            .methods
            .iter()
            .filter(|candidate| &candidate.path == resource);
        let exact = on_resource
            .clone()
            .find(|candidate| candidate.http_method == method);
        match exact.or_else(|| {
            on_resource
                .clone()
                .find(|candidate| candidate.http_method == "ANY")
        }) {
            Some(found) => Landing::Method(found),
            None => Landing::NotFound,
        }
    }
}

/// How specifically `pattern` matches `path` (per segment: 3 literal, 2 `{var}`, 1 greedy), or
/// `None` when it does not match the whole path.
fn specificity(pattern: &str, path: &str) -> Option<Vec<u8>> {
    if pattern == "/" {
        return (path == "/").then(Vec::new);
    }
    let pattern: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut score = Vec::new();
    for (index, segment) in pattern.iter().enumerate() {
        if segment.ends_with("+}") {
            score.push(1);
            return (path.len() > index && path[index..].iter().all(|part| !part.is_empty()))
                .then_some(score);
        }
        let actual = path.get(index)?;
        if segment.starts_with('{') {
            if actual.is_empty() {
                return None;
            }
            score.push(2);
        } else if segment == actual {
            score.push(3);
        } else {
            return None;
        }
    }
    (path.len() == pattern.len()).then_some(score)
}

/// A concrete path a resource path matches: `{id}` → one segment, `{proxy+}` → two.
pub fn sample_path(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| {
            if segment.ends_with("+}") {
                "sample/path"
            } else if segment.starts_with('{') {
                "sample-id"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The text of a string or of an `Fn::Sub` string.
pub fn text_of(value: &Value) -> Option<&str> {
    value.as_str().or_else(|| value["Fn::Sub"].as_str())
}

/// A value as a list (CloudFormation allows one or many in several places).
pub fn one_or_many(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(values) => values.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}
