//! ECS clients of the controller: one per region, kept for the controller's
//! life so task definitions are described once per ARN, ever. [`Connect`]
//! makes them; the controller's tests connect to the in-memory fake.

use super::state::ControllerState;
use crate::ecs::{AwsClient, AwsError, Ecs, EcsClient, Lookups};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// Makes an ECS client for a region.
pub trait Connect: Send + Sync + 'static {
    /// The client.
    type Ecs: Ecs + Lookups + Clone + 'static;
    /// A client for `region` (None: the standard AWS config's).
    fn connect(
        &self,
        region: Option<&str>,
    ) -> impl Future<Output = Result<Self::Ecs, AwsError>> + Send;
}

/// Real clients from the standard AWS config.
#[derive(Debug, Clone, Copy, Default)]
pub struct SdkConnect;

impl Connect for SdkConnect {
    type Ecs = EcsClient;
    async fn connect(&self, region: Option<&str>) -> Result<EcsClient, AwsError> {
        EcsClient::connect(region).await
    }
}

/// The clients made so far, by region.
pub struct ClientCache<C: Connect> {
    connect: C,
    clients: tokio::sync::Mutex<HashMap<Option<String>, C::Ecs>>,
    state: Arc<ControllerState>,
}

impl<C: Connect> ClientCache<C> {
    /// A cache whose clients' call counts feed `state`'s metrics.
    pub fn new(connect: C, state: Arc<ControllerState>) -> Self {
        ClientCache {
            connect,
            clients: tokio::sync::Mutex::default(),
            state,
        }
    }

    /// The client of `region`, made on first use (a failure to make one is
    /// not kept: the next cycle tries again).
    pub async fn get(&self, region: Option<&str>) -> Result<C::Ecs, AwsError> {
        let mut clients = self.clients.lock().await;
        if let Some(ecs) = clients.get(&region.map(str::to_owned)) {
            return Ok(ecs.clone());
        }
        let ecs = self.connect.connect(region).await?;
        self.state.track_calls(ecs.calls());
        clients.insert(region.map(str::to_owned), ecs.clone());
        Ok(ecs)
    }
}
