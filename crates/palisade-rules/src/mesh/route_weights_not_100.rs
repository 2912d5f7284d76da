use palisade_load::Node;

use super::is_virtual_service;
use super::routes::route_lists;
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// The `weight`s of the destinations of each VirtualService route (`spec.http[].route`,
    /// `spec.tcp[].route`, `spec.tls[].route`) add up to 100 when the route has several
    /// destinations (a missing weight counts as 0), and a route's only destination, if it
    /// sets a weight, sets 100.
    ///
    /// The rule needs only the VirtualService, so it runs in the admission webhook too.
    ///
    /// ## Why it matters
    /// Istio used to reject such routes ("total destination weight … != 100"); since 2022
    /// it reads weights as relative shares, so `60` and `60` send half the traffic each and
    /// a lone destination of weight `10` receives everything. The route works, but not as
    /// its numbers read: a canary meant to get 10 % may get far more, and older control
    /// planes still refuse the object. Writing weights that add up to 100 keeps the file's
    /// meaning the same on every Istio version.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.istio.io/v1
    /// kind: VirtualService
    /// metadata: {name: reviews}
    /// spec:
    ///   hosts: [reviews]
    ///   http:
    ///   - route:
    ///     - destination: {host: reviews, subset: v1}
    ///       weight: 90
    ///     - destination: {host: reviews, subset: v2}
    ///       weight: 20
    /// ```
    ///
    /// ## Fix
    /// Give each destination its share of 100:
    /// ```yaml
    ///     - destination: {host: reviews, subset: v1}
    ///       weight: 80
    ///     - destination: {host: reviews, subset: v2}
    ///       weight: 20
    /// ```
    ///
    /// ## Known problems
    /// The severity is low because current Istio routes such weights without error; the
    /// message gives the share each destination actually receives. A destination of weight
    /// 0 next to others is accepted and left without traffic, as Istio documents.
    ///
    /// ## References
    /// - https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRouteDestination
    /// - https://istio.io/latest/docs/reference/config/networking/virtual-service/#RouteDestination
    /// - https://github.com/istio/istio/issues/36069
    pub static ROUTE_WEIGHTS_NOT_100 = {
        id: "MESH004",
        name: "route-weights-not-100",
        category: Mesh,
        severity: Low,
        default_enabled: true,
        applies: Applies::Kinds(&["VirtualService"]),
        pss_level: None,
        summary: "Route weights should add up to 100",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let obj = cx.obj;
    if !is_virtual_service(obj) {
        return;
    }
    for (path, routes) in route_lists(obj) {
        if let Some(message) = weights_problem(routes) {
            cx.report(path, message);
        }
    }
}

/// What is wrong with the weights of one route's destinations, if anything.
fn weights_problem(routes: &[Node]) -> Option<String> {
    let mut weights = Vec::with_capacity(routes.len());
    for route in routes {
        match route.get("weight") {
            None => weights.push(0),
            Some(w) if w.is_null() => weights.push(0),
            // A weight Istio would refuse as a number is its schema's concern.
            Some(w) => weights.push(w.as_i64()?),
        }
    }
    let total: i64 = weights.iter().sum();
    match weights.as_slice() {
        [] => None,
        [only] if route_sets_weight(&routes[0]) && *only != 100 => Some(format!(
            "Set `weight: 100` or leave it out: the only destination gets all traffic, \
             not the {only} % its weight says"
        )),
        [_] => None,
        _ if total == 100 => None,
        _ if total == 0 => Some(format!(
            "Give these {} destinations weights that add up to 100: none sets one, and a \
             destination of weight 0 receives no traffic",
            weights.len()
        )),
        _ => {
            let shares: Vec<String> = weights
                .iter()
                .map(|&w| format!("{}", (w as f64 * 1000.0 / total as f64).round() / 10.0))
                .collect();
            Some(format!(
                "Make these weights add up to 100: they total {total}, which current Istio \
                 reads as shares of {} % and older releases reject",
                shares.join(" / ")
            ))
        }
    }
}

fn route_sets_weight(route: &Node) -> bool {
    route.get("weight").is_some_and(|w| !w.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    fn vs(section: &str, weights: &[Option<i64>]) -> String {
        let mut routes = String::new();
        for (i, w) in weights.iter().enumerate() {
            routes.push_str(&format!("    - destination: {{host: r, subset: v{i}}}\n"));
            if let Some(w) = w {
                routes.push_str(&format!("      weight: {w}\n"));
            }
        }
        format!(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: r}}\nspec:\n  {section}:\n  - route:\n{routes}"
        )
    }

    #[test]
    fn flags_weights_that_do_not_add_up() {
        let v = run(&ROUTE_WEIGHTS_NOT_100, &vs("http", &[Some(60), Some(60)]));
        assert_eq!(paths(&v), ["spec.http[0].route"]);
        assert!(v[0].message.contains("total 120"), "{}", v[0].message);
        assert!(v[0].message.contains("50 / 50 %"), "{}", v[0].message);
        let v = run(&ROUTE_WEIGHTS_NOT_100, &vs("tcp", &[Some(80), None]));
        assert_eq!(paths(&v), ["spec.tcp[0].route"]);
        let v = run(&ROUTE_WEIGHTS_NOT_100, &vs("tls", &[None, None]));
        assert!(v[0].message.contains("none sets one"), "{}", v[0].message);
        let v = run(&ROUTE_WEIGHTS_NOT_100, &vs("http", &[Some(10)]));
        assert!(
            v[0].message.contains("only destination"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn passes_weights_of_100_and_single_destinations() {
        for weights in [
            vec![Some(90), Some(10)],
            vec![Some(100), Some(0)],
            vec![Some(34), Some(33), Some(33)],
            vec![None],
            vec![Some(100)],
        ] {
            assert!(
                run(&ROUTE_WEIGHTS_NOT_100, &vs("http", &weights)).is_empty(),
                "{weights:?}"
            );
        }
    }
}
