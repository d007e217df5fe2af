/*
 * Starts DynamoDB Local bound to 127.0.0.1 only, and exits when its parent goes away.
 *
 * DynamoDB Local (2026-01-16) has no listen-address option: its DynamoDBProxyServer creates
 * Jetty's Server(port), whose connector listens on every interface. This launcher builds the
 * server from the usual command line, sets the host of each Jetty connector to 127.0.0.1
 * before starting it (fails closed if it cannot), and treats end-of-file on stdin as "the
 * router that started me is gone" (exit, crashes of the parent included). It uses reflection
 * only, so it compiles without DynamoDB Local on the class path.
 *
 * Build: javac --release 17 -d lambdas/local/java lambdas/local/java/LoopbackDynamoDBLocal.java
 */
import java.lang.reflect.Field;
import java.lang.reflect.Method;

public final class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    Class<?> runner = Class.forName("software.amazon.dynamodb.services.local.main.ServerRunner");
    Object proxy = runner.getMethod("createServerFromCommandLineArgs", String[].class).invoke(null, (Object) args);
    Field serverField = proxy.getClass().getDeclaredField("server");
    serverField.setAccessible(true);
    Object jetty = serverField.get(proxy);
    Object[] connectors = (Object[]) jetty.getClass().getMethod("getConnectors").invoke(jetty);
    if (connectors.length == 0) fail("DynamoDB Local has no connector to bind");
    for (Object connector : connectors) {
      Method setHost = connector.getClass().getMethod("setHost", String.class);
      setHost.invoke(connector, "127.0.0.1");
      Object host = connector.getClass().getMethod("getHost").invoke(connector);
      if (!"127.0.0.1".equals(host)) fail("DynamoDB Local connector did not take the loopback address");
    }
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // Nothing is ever sent on stdin; only its end matters.
        }
      } catch (Exception ignored) {
        // A broken pipe means the parent is gone, too.
      }
      Runtime.getRuntime().halt(0);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    proxy.getClass().getMethod("start").invoke(proxy);
    System.out.println("ctr-dynamodb-local listening on 127.0.0.1");
    System.out.flush();
  }

  private static void fail(String message) {
    System.err.println(message);
    Runtime.getRuntime().halt(3);
  }
}
