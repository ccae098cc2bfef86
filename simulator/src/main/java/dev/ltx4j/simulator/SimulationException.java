package dev.ltx4j.simulator;

/** An actor failed in a way the simulation does not expect (a bug in the workload or the code under test). */
public class SimulationException extends RuntimeException {
    public SimulationException(String message, Throwable cause) {
        super(message, cause);
    }
}
